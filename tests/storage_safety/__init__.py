"""Storage safety: crash-safe atomic writes, the cross-process lock, two real
processes writing one file, and optimistic-concurrency conflicts
(docs/architecture.md, "Writes")."""
