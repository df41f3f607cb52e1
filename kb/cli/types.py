"""Click parameter types for numbers with a range (and a unit), checked by kb/values.py: the
same check config.toml's settings get, so an out-of-range `--limit -1`, a card id of 10^30 or
`--since 99999999d` is refused with its allowed range (exit 2) instead of misbehaving later."""

from __future__ import annotations

import re

import click

from kb.values import INT64, Int, Refused, shown


class Checked(click.ParamType):
    """A click type around a kb.values check (Int, Float, Text)."""

    def __init__(self, check, metavar: str = "N"):
        self.check = check
        self.name = metavar.lower()
        self._metavar = metavar

    def get_metavar(self, param, ctx=None):  # click 8.2 passes ctx; older versions do not
        return self._metavar

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value  # a default given in code
        try:
            return self.check.check(value, self.name)
        except Refused as exc:
            self.fail(f"{shown(value)} {exc.why}: {exc.allowed}", param, ctx)


class Period(click.ParamType):
    """`7d`, `2w`, `1m` or a date; a relative period is at most MAX_DAYS. The text is passed on
    unchanged (kb/brief/period.py reads it)."""

    name = "period"
    MAX_DAYS = 36_500  # a hundred years: anything longer is a typo, and overflows a date
    _RELATIVE = re.compile(r"^\s*(\d+)\s*([dwm])\s*$", re.I)
    _DAYS = {"d": 1, "w": 7, "m": 30}

    def convert(self, value, param, ctx):
        match = self._RELATIVE.match(value or "") if isinstance(value, str) else None
        if match:
            unit = match.group(2).lower()
            try:
                Int(0, self.MAX_DAYS // self._DAYS[unit], {"d": "days", "w": "weeks", "m": "months"}[unit]).check(match.group(1), self.name)
            except Refused as exc:
                self.fail(f"{shown(value)} {exc.why}: {exc.allowed}", param, ctx)
        return value


# The ranges, named once and used by every command.
LIMIT = Checked(Int(1, 100_000), "N")  # rows to show
COUNT = Checked(Int(0, 10_000_000), "N")
ROW_ID = Checked(Int(1, INT64), "CARD_ID")  # a card id: SQLite's integer range
WEEK = Checked(Int(1, 520), "N")
YEAR = Checked(Int(1000, 2999), "YEAR")
PAGE = Checked(Int(1, 100_000), "PAGE")
SEED = Checked(Int(0, 2**32 - 1), "N")  # numpy's and torch's seeds
DURATION_MS = Checked(Int(0, 86_400_000, "ms"), "MS")  # a day
PERIOD = Period()
