"""Line arithmetic on YAML text: where lines start and end, which newline a file uses."""

from __future__ import annotations


def newline_of(text: str) -> str:
    """The line ending a text uses: CRLF when it has any, else LF."""
    return "\r\n" if "\r\n" in text else "\n"


def start_of_line(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def end_of_line(text: str, index: int) -> int:
    """Index just past the newline of the line holding `index` (or len(text))."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def is_blank(line: str) -> bool:
    return not line.strip()


def keep_final_newline(before: str, after: str) -> str:
    """A file without a final newline keeps having none after its end is cut."""
    if before.endswith("\n") or not after.endswith("\n"):
        return after
    return after[:-2] if after.endswith("\r\n") else after[:-1]
