"""Reviewing: today's queue (within the daily limits), rating a card, undoing the last rating.

Card state and the review log live in SQLite only; reviewing never touches a note. Undo
restores the state before the review and records the undo; the log itself is append-only.

As in Anki: a learning or relearning card comes back in the same session once due, and when
nothing else is left one due within LEARN_AHEAD is shown early; reviewing a card buries its
siblings (the other clozes of its sentence, the other side of a reversed card: same note line)
until the next local day; the user can suspend or bury a card (card_flags, which note sync
never rewrites).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo

from fsrs import Card, Rating, Scheduler, State

from kb.errors import BadInput, NotFound
from kb.store import Store
from notes import clock
from notes.scheduler import STATE_NAMES, Limits, card_columns, card_from_row, make_scheduler, parse_rating

_LIVE = "id NOT IN (SELECT review_id FROM review_undo)"
# Anki's default "learn ahead limit": with nothing else due, learning cards due this soon are shown.
LEARN_AHEAD = timedelta(minutes=20)
# Neither suspended by the user nor buried at :now (f: card_flags LEFT JOINed on the card).
_UNFLAGGED = "(f.card_id IS NULL OR (f.user_suspended = 0 AND (f.buried_until IS NULL OR f.buried_until <= :now))) AND "


class CardGone(BadInput):
    """The card left the queue while shown: removed from its note, its note gone, suspended."""

_CARD_SELECT = (
    "SELECT c.id, c.paper_id, p.citekey, p.title, c.kind, c.front, c.back, c.note_path, c.line, c.created_at, c.source, c.cloze_index, "
    "s.state, s.due FROM cards c LEFT JOIN card_state s ON s.card_id = c.id LEFT JOIN papers p ON p.id = c.paper_id "
    "LEFT JOIN card_flags f ON f.card_id = c.id "
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
    source: str = ""  # the card as written (cloze markup kept): the review screen highlights from it
    cloze_index: int | None = None

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
    at = {"now": clock.to_iso(now)}
    learning = _select(store, "s.state IN (1, 3) AND s.due <= :now ORDER BY s.due, c.id", at)
    reviews_left = max(0, limits.reviews_per_day - reviews_done(store, start, end, new=False))
    reviews = _select(store, "s.state = 2 AND s.due < :end ORDER BY s.due, c.id LIMIT :n", {**at, "end": clock.to_iso(end), "n": reviews_left})
    new_left = max(0, limits.new_per_day - reviews_done(store, start, end, new=True))
    new = _select(store, "s.card_id IS NULL ORDER BY c.paper_id IS NULL, c.paper_id, c.line, c.id LIMIT :n", {**at, "n": new_left})
    return learning + reviews + new


def session_cards(store: Store, now: datetime, limits: Limits = Limits(), tz: tzinfo | None = None) -> list[DueCard]:
    """What a review session shows next: the due queue, or when it is empty the learning and
    relearning cards due within LEARN_AHEAD (Anki's learn-ahead), so an Again comes back."""
    due = due_cards(store, now, limits, tz)
    if due:
        return due
    ahead = {"now": clock.to_iso(now), "ahead": clock.to_iso(now + LEARN_AHEAD)}
    return _select(store, "s.state IN (1, 3) AND s.due <= :ahead ORDER BY s.due, c.id", ahead)


def next_due(store: Store, now: datetime | None = None) -> datetime | None:
    """When the next scheduled (not new) card falls due: for 'come back at ...'."""
    raw = store.scalar("SELECT MIN(s.due) FROM card_state s JOIN cards c ON c.id = s.card_id LEFT JOIN card_flags f ON f.card_id = c.id "
                       "WHERE " + _UNFLAGGED + "c.suspended = 0", {"now": clock.to_iso(now or clock.utc_now())})
    return clock.from_iso(raw) if raw else None


def preview(store: Store, card_id: int, now: datetime, *, scheduler: Scheduler | None = None) -> dict[str, timedelta]:
    """The interval each rating would give the card now: what keys 1-4 show ("again": 1 min, ...).
    Without fuzzing, so the preview is what the rating gives up to FSRS's small random spread."""
    now = clock.require_aware(now)
    base = scheduler or make_scheduler()
    plain = copy.copy(base)
    plain.enable_fuzzing = False
    row = store.one("SELECT created_at FROM cards WHERE id = ?", (card_id,))
    if row is None:
        raise NotFound(f"no card with id {card_id}", "see `kb review due` for card ids")
    state_row = store.one("SELECT * FROM card_state WHERE card_id = ?", (card_id,))
    before = card_from_row(card_id, state_row, min(clock.from_iso(row["created_at"]), now))
    out = {}
    for name, grade in (("again", Rating.Again), ("hard", Rating.Hard), ("good", Rating.Good), ("easy", Rating.Easy)):
        after, _ = plain.review_card(copy.deepcopy(before), grade, now)
        out[name] = after.due - now
    return out


def suspend(store: Store, card_id: int, *, undo: bool = False) -> bool:
    """Suspend a card (it leaves every queue, keeps its history) or, with undo, bring it back.
    Returns False when it already was so."""
    _require_card(store, card_id)
    with store.tx():
        was = store.scalar("SELECT user_suspended FROM card_flags WHERE card_id = ?", (card_id,)) or 0
        store.execute("INSERT INTO card_flags (card_id, user_suspended) VALUES (?, ?) "
                      "ON CONFLICT (card_id) DO UPDATE SET user_suspended = excluded.user_suspended", (card_id, 0 if undo else 1))
    return bool(was) == undo


def bury(store: Store, card_id: int, now: datetime, tz: tzinfo | None = None, *, by_review: int | None = None) -> datetime:
    """Hide a card until the start of the next local day; returns that time."""
    _require_card(store, card_id)
    until = clock.day_bounds(clock.require_aware(now), tz)[1]
    store.execute("INSERT INTO card_flags (card_id, buried_until, buried_by) VALUES (?, ?, ?) "
                  "ON CONFLICT (card_id) DO UPDATE SET buried_until = excluded.buried_until, buried_by = excluded.buried_by",
                  (card_id, clock.to_iso(until), by_review))
    return until


def siblings(store: Store, card_id: int, *, include_learning: bool = True) -> list[int]:
    """Other live cards written on the same note line: clozes of one sentence, both sides of one
    fact. Without include_learning, siblings in (re)learning are left out: as in Anki, those are
    never buried, their short steps matter."""
    learning = "" if include_learning else " AND NOT EXISTS (SELECT 1 FROM card_state s WHERE s.card_id = o.id AND s.state IN (1, 3))"
    return [r["id"] for r in store.all(
        "SELECT o.id FROM cards c JOIN cards o ON o.note_path = c.note_path AND o.line = c.line AND o.id != c.id "
        "WHERE c.id = ? AND o.suspended = 0" + learning + " ORDER BY o.id", (card_id,))]


def _require_card(store: Store, card_id: int) -> None:
    if store.one("SELECT 1 FROM cards WHERE id = ?", (card_id,)) is None:
        raise NotFound(f"no card with id {card_id}", "see `kb review due` or `kb cards PAPER` for card ids")


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
            raise CardGone(f"card {card_id} is suspended ({row['suspended_reason']})", "restore it in its note, then rate it")
        if store.scalar("SELECT user_suspended FROM card_flags WHERE card_id = ?", (card_id,)):
            raise CardGone(f"card {card_id} is suspended", f"bring it back with `kb review suspend {card_id} --undo`")
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
        for sibling in siblings(store, card_id, include_learning=False):
            bury(store, sibling, now, by_review=cur.lastrowid)
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
        store.execute("UPDATE card_flags SET buried_until = NULL, buried_by = NULL WHERE buried_by = ?", (row["id"],))
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
        where.append("c.suspended = 0 AND COALESCE(f.user_suspended, 0) = 0")
    sql = ("SELECT c.*, p.citekey, s.state AS fsrs_state, s.due, f.user_suspended, f.buried_until FROM cards c "
           "LEFT JOIN papers p ON p.id = c.paper_id LEFT JOIN card_state s ON s.card_id = c.id LEFT JOIN card_flags f ON f.card_id = c.id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY c.paper_id, c.line, c.id")
    return [
        {"id": r["id"], "paper_id": r["paper_id"], "citekey": r["citekey"], "note_path": r["note_path"], "line": r["line"],
         "kind": r["kind"], "cloze_index": r["cloze_index"], "front": r["front"], "back": r["back"],
         "state": STATE_NAMES[None if r["fsrs_state"] is None else State(r["fsrs_state"])], "due": r["due"],
         "suspended": bool(r["suspended"] or r["user_suspended"]),
         "suspended_reason": r["suspended_reason"] or ("suspended by you" if r["user_suspended"] else None),
         "buried_until": r["buried_until"]}
        for r in store.all(sql, params)
    ]


def cards_for_paper(store: Store, paper_id: int) -> list[dict]:
    """The live (not suspended) cards of a paper's note."""
    return list_cards(store, paper_id)


def get_card(store: Store, card_id: int) -> DueCard:
    rows = _select(store, "c.id = :id", {"id": card_id, "now": clock.to_iso(clock.utc_now())}, include_suspended=True)
    if not rows:
        raise NotFound(f"no card with id {card_id}")
    return rows[0]


def _select(store: Store, where: str, params: dict, include_suspended: bool = False) -> list[DueCard]:
    live = "" if include_suspended else _UNFLAGGED + "c.suspended = 0 AND "
    return [
        DueCard(
            r["id"], r["paper_id"], r["citekey"], r["title"], r["kind"], r["front"], r["back"],
            STATE_NAMES[None if r["state"] is None else State(r["state"])],
            clock.from_iso(r["due"] or r["created_at"]), r["note_path"], r["line"], r["source"], r["cloze_index"],
        )
        for r in store.all(_CARD_SELECT + "WHERE " + live + where, params)
    ]



def human_interval(delta: timedelta) -> str:
    """An interval as a review screen shows it: 10 min, 2.5 h, 4 days, 3.1 months."""
    seconds = max(0, delta.total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min" if seconds else "now"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    days = seconds / 86400
    return f"{days:.0f} days" if days < 60 else f"{days / 30.4:.1f} months"


def human_time(moment: datetime, now: datetime) -> str:
    """When, as a review screen says it: 14:05 today, else 2025-06-03 09:00 (local time)."""
    local, today = moment.astimezone(), now.astimezone()
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%Y-%m-%d %H:%M}"
