"""Benchmarks: `python -m bench [NAME...]` prints a table of named measurements (min/median/max)."""
