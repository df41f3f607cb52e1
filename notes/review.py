"""Reviewing: today's queue (within the daily limits), rating a card, undoing the last rating.

Card state and the review log live in SQLite only; reviewing never touches a note. Undo
restores the state before the review and records the undo; the log itself is append-only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo

from fsrs import Card, Rating, Scheduler, State

from kb.errors import BadInput, NotFound
from kb.store import Store
from notes import clock
from notes.scheduler import STATE_NAMES, Limits, card_columns, card_from_row, make_scheduler, parse_rating

_LIVE = "id NOT IN (SELECT review_id FROM review_undo)"
_CARD_SELECT = (
    "SELECT c.id, c.paper_id, p.citekey, p.title, c.kind, c.front, c.back, c.note_path, c.line, c.created_at, "
    "s.state, s.due FROM cards c LEFT JOIN card_state s ON s.card_id = c.id LEFT JOIN papers p ON p.id = c.paper_id "
)


@dataclass(frozen=True)
class DueCard:
    id: int
    paper_id: int | None
    citekey: str | None
    title: str | None
    kind: str
    front: str
    back: str
    state: str  # new, learning, review, relearning
    due: datetime
    note_path: str
    line: int

    def to_dict(self) -> dict:
        return {**asdict(self), "due": clock.to_iso(self.due)}


@dataclass(frozen=True)
class Rated:
    review_id: int
    card_id: int
    rating: str
    state: str
    due: datetime
    interval: timedelta  # from the review to the next due time


@dataclass(frozen=True)
class Undone:
    review_id: int
    card_id: int
    rating: str
    reviewed_at: datetime


def due_cards(store: Store, now: datetime, limits: Limits = Limits(), tz: tzinfo | None = None) -> list[DueCard]:
    """Cards to review now: learning steps that are due, then reviews due today, then new cards,
    each kind within what is left of today's limit."""
    now = clock.require_aware(now)
    start, end = clock.day_bounds(now, tz)
    learning = _select(store, "s.state IN (1, 3) AND s.due <= ? ORDER BY s.due, c.id", (clock.to_iso(now),))
    reviews_left = max(0, limits.reviews_per_day - reviews_done(store, start, end, new=False))
    reviews = _select(store, "s.state = 2 AND s.due < ? ORDER BY s.due, c.id LIMIT ?", (clock.to_iso(end), reviews_left))
    new_left = max(0, limits.new_per_day - reviews_done(store, start, end, new=True))
    new = _select(store, "s.card_id IS NULL ORDER BY c.paper_id IS NULL, c.paper_id, c.line, c.id LIMIT ?", (new_left,))
    return learning + reviews + new


def next_due(store: Store) -> datetime | None:
    """When the next scheduled (not new) card falls due: for 'come back at ...'."""
    raw = store.scalar("SELECT MIN(s.due) FROM card_state s JOIN cards c ON c.id = s.card_id WHERE c.suspended = 0")
    return clock.from_iso(raw) if raw else None


def reviews_done(store: Store, start: datetime, end: datetime, *, new: bool) -> int:
    """Reviews in [start, end) that introduced a new card (new=True) or reviewed a seen one."""
    return store.scalar(
        f"SELECT COUNT(*) FROM review_log WHERE {_LIVE} AND reviewed_at >= ? AND reviewed_at < ? "
        f"AND state_before IS {'' if new else 'NOT '}NULL",
        (clock.to_iso(start), clock.to_iso(end)),
    )


def rate(
    store: Store, card_id: int, rating: str | int | Rating, now: datetime, duration_ms: int | None = None,
    *, scheduler: Scheduler | None = None,
) -> Rated:
    """Record one review and reschedule the card (pass notes.scheduler.for_config(...) as scheduler
    to use the user's retention target and fitted parameters)."""
    now = clock.require_aware(now)
    grade = parse_rating(rating)
    scheduler = scheduler or make_scheduler()
    if duration_ms is not None and duration_ms < 0:
        raise BadInput("a review cannot take negative time")
    with store.tx():
        row = store.one("SELECT id, suspended, suspended_reason, created_at FROM cards WHERE id = ?", (card_id,))
        if row is None:
            raise NotFound(f"no card with id {card_id}", "see `kb review due` or `kb cards PAPER` for card ids")
        if row["suspended"]:
            raise BadInput(f"card {card_id} is suspended ({row['suspended_reason']})", "restore it in its note, then rate it")
        state_row = store.one("SELECT * FROM card_state WHERE card_id = ?", (card_id,))
        before = card_from_row(card_id, state_row, min(clock.from_iso(row["created_at"]), now))
        after, _ = scheduler.review_card(before, grade, now, duration_ms)
        elapsed = (now - before.last_review).total_seconds() / 86400 if before.last_review else None
        store.execute(
            "INSERT INTO card_state (card_id, state, step, stability, difficulty, due, last_review) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (card_id) DO UPDATE SET state = excluded.state, step = excluded.step, stability = excluded.stability, "
            "difficulty = excluded.difficulty, due = excluded.due, last_review = excluded.last_review",
            (card_id, *card_columns(after)),
        )
        cur = store.execute(
            "INSERT INTO review_log (card_id, reviewed_at, rating, state_before, state, stability, difficulty, due, elapsed_days, "
            "duration_ms, card_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (card_id, clock.to_iso(now), int(grade), int(before.state) if state_row else None, int(after.state), after.stability,
             after.difficulty, clock.to_iso(after.due), elapsed, duration_ms, before.to_json() if state_row else None),
        )
    return Rated(cur.lastrowid, card_id, grade.name.lower(), STATE_NAMES[after.state], after.due, after.due - now)


def undo_last(store: Store, now: datetime | None = None) -> Undone | None:
    """Take back the latest review not already undone; None when there is nothing to undo."""
    now = clock.require_aware(now or clock.utc_now())
    with store.tx():
        row = store.one(f"SELECT * FROM review_log WHERE {_LIVE} ORDER BY id DESC LIMIT 1")
        if row is None:
            return None
        if row["card_before"] is None:
            store.execute("DELETE FROM card_state WHERE card_id = ?", (row["card_id"],))
        else:
            card = Card.from_json(row["card_before"])
            store.execute(
                "UPDATE card_state SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, last_review = ? WHERE card_id = ?",
                (*card_columns(card), row["card_id"]),
            )
        store.execute("INSERT INTO review_undo (review_id, undone_at) VALUES (?, ?)", (row["id"], clock.to_iso(now)))
    return Undone(row["id"], row["card_id"], Rating(row["rating"]).name.lower(), clock.from_iso(row["reviewed_at"]))


def list_cards(store: Store, paper_id: int | None = None, *, include_suspended: bool = False) -> list[dict]:
    """The cards of one paper's note (of every note without paper_id), in note order, with their
    scheduling state: what `kb cards` lists and the TUI's Paper screen shows."""
    where, params = [], []
    if paper_id is not None:
        where.append("c.paper_id = ?")
        params.append(paper_id)
    if not include_suspended:
        where.append("c.suspended = 0")
    sql = ("SELECT c.*, p.citekey, s.state AS fsrs_state, s.due FROM cards c LEFT JOIN papers p ON p.id = c.paper_id "
           "LEFT JOIN card_state s ON s.card_id = c.id" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY c.paper_id, c.line, c.id")
    return [
        {"id": r["id"], "paper_id": r["paper_id"], "citekey": r["citekey"], "note_path": r["note_path"], "line": r["line"],
         "kind": r["kind"], "cloze_index": r["cloze_index"], "front": r["front"], "back": r["back"],
         "state": STATE_NAMES[None if r["fsrs_state"] is None else State(r["fsrs_state"])], "due": r["due"],
         "suspended": bool(r["suspended"]), "suspended_reason": r["suspended_reason"]}
        for r in store.all(sql, params)
    ]


def cards_for_paper(store: Store, paper_id: int) -> list[dict]:
    """The live (not suspended) cards of a paper's note."""
    return list_cards(store, paper_id)


def get_card(store: Store, card_id: int) -> DueCard:
    rows = _select(store, "c.id = ?", (card_id,), include_suspended=True)
    if not rows:
        raise NotFound(f"no card with id {card_id}")
    return rows[0]


def _select(store: Store, where: str, params: tuple, include_suspended: bool = False) -> list[DueCard]:
    live = "" if include_suspended else "c.suspended = 0 AND "
    return [
        DueCard(
            r["id"], r["paper_id"], r["citekey"], r["title"], r["kind"], r["front"], r["back"],
            STATE_NAMES[None if r["state"] is None else State(r["state"])],
            clock.from_iso(r["due"] or r["created_at"]), r["note_path"], r["line"],
        )
        for r in store.all(_CARD_SELECT + "WHERE " + live + where, params)
    ]

