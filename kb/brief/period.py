"""Periods a user names on the command line: `7d`, `2w`, `1m`, or a date `2026-11-01`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from kb.errors import BadInput

_RELATIVE = re.compile(r"^\s*(\d+)\s*([dwm])\s*$", re.I)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(text or "")
    if match:
        return now - timedelta(days=int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()])
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise BadInput(f"cannot read the period {text!r}", "use e.g. 7d, 2w, 1m or a date like 2026-11-01") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
