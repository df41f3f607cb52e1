"""Time for scheduling: UTC-aware datetimes stored as fixed-width ISO strings (so SQL can compare
them as text), and the user's local calendar days for limits, stats and streaks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("scheduling needs a timezone-aware datetime (use datetime.now(timezone.utc))")
    return moment.astimezone(timezone.utc)


def to_iso(moment: datetime) -> str:
    return require_aware(moment).strftime(_FORMAT)


def from_iso(text: str) -> datetime:
    if text.endswith("Z") and "." in text:
        return datetime.strptime(text, _FORMAT).replace(tzinfo=timezone.utc)
    return require_aware(datetime.fromisoformat(text.replace("Z", "+00:00")))


def local_tz(tz: tzinfo | None = None) -> tzinfo:
    return tz or datetime.now().astimezone().tzinfo or timezone.utc


def local_date(moment: datetime, tz: tzinfo | None = None) -> date:
    return require_aware(moment).astimezone(local_tz(tz)).date()


def day_start(day: date, tz: tzinfo | None = None) -> datetime:
    """The UTC instant a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=local_tz(tz)).astimezone(timezone.utc)


def day_bounds(moment: datetime, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    day = local_date(moment, tz)
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)
