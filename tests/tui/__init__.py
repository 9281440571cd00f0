"""Dashboard tests: Pilot tests per action, the live test, snapshots."""
