"""What a setting or a command-line value may be: whole numbers and numbers with their ranges and
units, bounded text, and the text that names a path, a program or a server.

One check serves config.toml (read or set with `kb config KEY VALUE`, kb/config.py) and the
CLI's options and arguments (kb/cli/types.py), so a value is refused the same way, with its
allowed range, wherever it is given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kb.errors import BadInput

MAX_TEXT = 4096  # a setting is a path, a command or a name; a 10 MB value is a mistake
INT64 = 2**63 - 1  # SQLite's integers: a row id above this cannot exist


def shown(raw: object, limit: int = 40) -> str:
    """The value as the user wrote it, cut short: a 10 MB value must not become a 10 MB message."""
    text = raw if isinstance(raw, str) and raw.isprintable() else repr(raw)  # a line break stays one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Refused(BadInput):
    """A value outside what its setting or option takes; `why` and `allowed` let the CLI word
    it as click does ("Invalid value for '--limit': -1 is out of range: ...")."""

    def __init__(self, name: str, raw: object, why: str, allowed: str):
        super().__init__(f"{name} = {shown(raw)} {why}", f"{name} takes {allowed}")
        self.raw, self.why, self.allowed = raw, why, allowed


def row_id(text: object) -> int | None:
    """`text` as a row id (a paper, plan, plan item or run) when it can be one, else None.

    A user's PAPER, RUN or ITEM argument may be a number: one beyond SQLite's integers (10^30)
    names no row, and binding it raises OverflowError; `"²".isdigit()` is true but int() refuses
    it; int() of a 5,000-digit string raises too. None lets the caller treat the text as a name
    and end in its usual "not found"."""
    s = text.strip() if isinstance(text, str) else ""
    if not s.isdecimal() or len(s.lstrip("0")) > len(str(INT64)):
        return None
    value = int(s)
    return value if value <= INT64 else None


def _refuse(name: str, raw: object, why: str, allowed: str) -> Refused:
    return Refused(name, raw, why, allowed)


@dataclass(frozen=True)
class Int:
    lo: int
    hi: int
    unit: str = ""

    def describe(self) -> str:
        return f"a whole number from {self.lo:,} to {self.hi:,}{' ' + self.unit if self.unit else ''}"

    def check(self, raw: object, name: str) -> int:
        value: object = raw
        if isinstance(raw, str):
            text = raw.strip().replace("_", "")
            try:
                value = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    raise _refuse(name, raw, "is not a whole number", self.describe()) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(name, raw, "is not a whole number", self.describe())
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _refuse(name, raw, "is not a finite number", self.describe())
            if value != int(value):
                raise _refuse(name, raw, "is not a whole number", self.describe())
            if not self.lo <= value <= self.hi:  # compare before int(): 1e300 is fine as a float
                raise _refuse(name, raw, "is out of range", self.describe())
            value = int(value)
        if not self.lo <= value <= self.hi:
            raise _refuse(name, raw, "is out of range", self.describe())
        return int(value)


@dataclass(frozen=True)
class Float:
    lo: float
    hi: float
    unit: str = ""

    def describe(self) -> str:
        return f"a number from {self.lo:g} to {self.hi:g}{' ' + self.unit if self.unit else ''}"

    def check(self, raw: object, name: str) -> float:
        value: object = raw
        if isinstance(raw, str):
            try:
                value = float(raw.strip().replace("_", ""))
            except ValueError:
                raise _refuse(name, raw, "is not a number", self.describe()) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(name, raw, "is not a number", self.describe())
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse(name, raw, "is not a finite number", self.describe())
        if not self.lo <= value <= self.hi:
            raise _refuse(name, raw, "is out of range", self.describe())
        return float(value)


@dataclass(frozen=True)
class Bool:
    def describe(self) -> str:
        return "true or false"

    def check(self, raw: object, name: str) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        raise _refuse(name, raw, "is not true or false", self.describe())


@dataclass(frozen=True)
class Text:
    """Text up to max_len characters, one line. `kind` says what it names: "path" and
    "program" and "url" are what an archive from elsewhere may not set without asking
    (kb/restore.py): a path can point outside the data home, a program runs, a server
    receives the key or the library."""

    max_len: int = MAX_TEXT
    choices: tuple[str, ...] = ()
    kind: str = "text"

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return f"one line of text up to {self.max_len:,} characters"

    def check(self, raw: object, name: str) -> str:
        if not isinstance(raw, str):
            raise _refuse(name, raw, "is not text", self.describe())
        if len(raw) > self.max_len:
            raise _refuse(name, raw, f"is {len(raw):,} characters long", self.describe())
        if any(ch in raw for ch in "\n\r\x00"):
            raise _refuse(name, raw, "has a line break or a NUL character", self.describe())
        if self.choices and raw not in self.choices:
            raise _refuse(name, raw, "is not a choice", self.describe())
        return raw
