"""How well the user is keeping what they read: what is due, how much they review, how much
they recall (true retention), their streak, and a text heatmap of review days."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, tzinfo

from fsrs import Rating, State

from kb.store import Store
from notes import clock

_LIVE = "id NOT IN (SELECT review_id FROM review_undo)"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHADES = "·░▒▓█"


def review_stats(store: Store, now: datetime, tz: tzinfo | None = None, days: int = 30) -> dict:
    """Due today and the next 7 days, reviews per day and true retention over the last `days`
    days, the streak of consecutive review days."""
    now = clock.require_aware(now)
    today = clock.local_date(now, tz)
    _, end_today = clock.day_bounds(now, tz)
    window_start = clock.day_start(today - timedelta(days=days - 1), tz)
    per_day = daily_counts(store, window_start, end_today, tz)
    period = reviews_between(store, window_start, end_today)
    return {
        "today": today.isoformat(),
        "due_today": _due_before(store, end_today),
        "new_available": store.scalar("SELECT COUNT(*) FROM cards c WHERE suspended = 0 AND NOT EXISTS (SELECT 1 FROM card_state s WHERE s.card_id = c.id)"
                                      " AND " + _NOT_USER_SUSPENDED),
        "due_next_7_days": [
            {"date": (today + timedelta(days=n)).isoformat(),
             "count": _due_between(store, clock.day_start(today + timedelta(days=n), tz), clock.day_start(today + timedelta(days=n + 1), tz))}
            for n in range(1, 8)
        ],
        "reviews_today": per_day.get(today, 0),
        "reviews_per_day": {
            "average": round(sum(per_day.values()) / days, 2),
            "days": days,
            "by_day": {d.isoformat(): n for d, n in sorted(per_day.items())},
        },
        "true_retention": period["retention"],
        "retention_reviews": period["passed"] + period["failed"],
        "streak": streak(store, now, tz),
        "cards": store.scalar("SELECT COUNT(*) FROM cards c WHERE suspended = 0 AND " + _NOT_USER_SUSPENDED),
        # Gone from their notes, or suspended by the user from the review screen.
        "suspended": store.scalar("SELECT COUNT(*) FROM cards c WHERE suspended = 1 OR NOT " + _NOT_USER_SUSPENDED),
    }


def reviews_between(store: Store, start: datetime, end: datetime, paper_id: int | None = None) -> dict:
    """Reviews in [start, end) (of one paper's cards, if given): how many, of how many cards and
    papers, and true retention (the share of reviews of already-learned cards that were not 'again')."""
    sql = (f"SELECT r.card_id, r.rating, r.state_before, c.paper_id, p.citekey FROM review_log r JOIN cards c ON c.id = r.card_id "
           f"LEFT JOIN papers p ON p.id = c.paper_id WHERE r.{_LIVE} AND r.reviewed_at >= ? AND r.reviewed_at < ?")
    params: list = [clock.to_iso(start), clock.to_iso(end)]
    if paper_id is not None:
        sql += " AND c.paper_id = ?"
        params.append(paper_id)
    rows = store.all(sql, params)
    mature = [r for r in rows if r["state_before"] == State.Review]
    failed = sum(1 for r in mature if r["rating"] == Rating.Again)
    by_paper = Counter(r["citekey"] for r in rows if r["citekey"])
    return {
        "reviews": len(rows),
        "cards": len({r["card_id"] for r in rows}),
        "new_cards": sum(1 for r in rows if r["state_before"] is None),
        "passed": len(mature) - failed,
        "failed": failed,
        "retention": round((len(mature) - failed) / len(mature), 4) if mature else None,
        "papers": [{"citekey": key, "reviews": n} for key, n in by_paper.most_common()],
    }


def daily_counts(store: Store, start: datetime, end: datetime, tz: tzinfo | None = None) -> dict[date, int]:
    """Reviews per local calendar day in [start, end)."""
    rows = store.all(
        f"SELECT reviewed_at FROM review_log WHERE {_LIVE} AND reviewed_at >= ? AND reviewed_at < ?",
        (clock.to_iso(start), clock.to_iso(end)),
    )
    return dict(Counter(clock.local_date(clock.from_iso(r["reviewed_at"]), tz) for r in rows))


def streak(store: Store, now: datetime, tz: tzinfo | None = None) -> int:
    """Consecutive days with at least one review, ending today (or yesterday, if today has none yet)."""
    today = clock.local_date(now, tz)
    rows = store.all(f"SELECT reviewed_at FROM review_log WHERE {_LIVE} AND reviewed_at < ?", (clock.to_iso(clock.day_bounds(now, tz)[1]),))
    days = {clock.local_date(clock.from_iso(r["reviewed_at"]), tz) for r in rows}
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def heatmap(store: Store, now: datetime, tz: tzinfo | None = None, weeks: int = 12) -> str:
    """Reviews per day as a text grid: a row per weekday, a column per week, darker = more."""
    today = clock.local_date(now, tz)
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    counts = daily_counts(store, clock.day_start(first, tz), clock.day_bounds(now, tz)[1], tz)
    top = max(counts.values(), default=0)
    lines = []
    for weekday in range(7):
        cells = []
        for week in range(weeks):
            day = first + timedelta(days=7 * week + weekday)
            cells.append(" " if day > today else _shade(counts.get(day, 0), top))
        lines.append(f"{WEEKDAYS[weekday]} {''.join(cells)}")
    lines.append(f"    {first.isoformat()} … {today.isoformat()}   {SHADES[0]} none  {SHADES[-1]} {top} reviews")
    return "\n".join(lines)


def _shade(count: int, top: int) -> str:
    if count == 0 or top == 0:
        return SHADES[0]
    # 1..4 in proportion to the busiest day, so a single review still shows.
    return SHADES[min(4, 1 + (4 * count - 1) // top)]


# Suspended from the review screen (`kb review suspend`): card_flags, apart from the cards table.
_NOT_USER_SUSPENDED = "NOT EXISTS (SELECT 1 FROM card_flags f WHERE f.card_id = c.id AND f.user_suspended = 1)"


def _due_before(store: Store, end: datetime) -> int:
    return store.scalar(
        "SELECT COUNT(*) FROM card_state s JOIN cards c ON c.id = s.card_id WHERE c.suspended = 0 AND s.due < ? AND " + _NOT_USER_SUSPENDED,
        (clock.to_iso(end),),
    )


def _due_between(store: Store, start: datetime, end: datetime) -> int:
    return store.scalar(
        "SELECT COUNT(*) FROM card_state s JOIN cards c ON c.id = s.card_id WHERE c.suspended = 0 AND s.due >= ? AND s.due < ? AND "
        + _NOT_USER_SUSPENDED, (clock.to_iso(start), clock.to_iso(end)),
    )
