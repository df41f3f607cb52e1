"""The FSRS-6 scheduler (the `fsrs` package) set up from the user's settings, card state kept in
SQLite, and fitting the user's own parameters from the review log (optional: needs torch)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, ReviewLog, Scheduler, State

from kb.errors import BadInput, KbError
from kb.store import Store
from notes import clock

RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
STATE_NAMES = {None: "new", State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}
# Below this many reviews the fitted parameters would be noise; FSRS's defaults are better.
MIN_REVIEWS_TO_OPTIMIZE = 400


@dataclass(frozen=True)
class Limits:
    new_per_day: int = 20
    reviews_per_day: int = 200

    @classmethod
    def from_config(cls, config: dict) -> "Limits":
        section = config.get("review") or {}
        return cls(int(section.get("new_per_day", cls.new_per_day)), int(section.get("reviews_per_day", cls.reviews_per_day)))


def parse_rating(value: str | int | Rating) -> Rating:
    """again|hard|good|easy (any case, or a unique prefix) or 1-4."""
    if isinstance(value, Rating):
        return value
    text = str(value).strip().lower()
    # isdecimal, not isdigit: "²" is a digit to isdigit() but int() refuses it.
    if text.isdecimal() and 1 <= int(text) <= 4:
        return Rating(int(text))
    matches = [rating for name, rating in RATINGS.items() if text and name.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    raise BadInput(f"unknown rating {value!r}", "use again, hard, good or easy (or 1-4)")


def make_scheduler(desired_retention: float = 0.9, parameters: list[float] | None = None, fuzz: bool = True) -> Scheduler:
    if not 0.7 <= desired_retention <= 0.99:
        raise BadInput(f"desired retention {desired_retention} is out of range", "set review.desired_retention between 0.7 and 0.99")
    if parameters is None:
        return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)
    return Scheduler(parameters=parameters, desired_retention=desired_retention, enable_fuzzing=fuzz)


def for_config(store: Store, config: dict, fuzz: bool = True) -> Scheduler:
    """The scheduler this user reviews with: their retention target and fitted parameters, if any."""
    retention = float((config.get("review") or {}).get("desired_retention", 0.9))
    return make_scheduler(retention, fitted_parameters(store), fuzz)


def fitted_parameters(store: Store) -> list[float] | None:
    raw = store.scalar("SELECT parameters FROM fsrs_parameters ORDER BY id DESC LIMIT 1")
    return json.loads(raw) if raw else None


def new_card(card_id: int, created: datetime) -> Card:
    return Card(card_id=card_id, due=created)


def card_from_row(card_id: int, row: sqlite3.Row | None, created: datetime) -> Card:
    """The fsrs Card for a card_state row; a card never reviewed is new and due since it was created."""
    if row is None:
        return new_card(card_id, created)
    return Card(
        card_id=card_id, state=State(row["state"]), step=row["step"], stability=row["stability"], difficulty=row["difficulty"],
        due=clock.from_iso(row["due"]), last_review=clock.from_iso(row["last_review"]) if row["last_review"] else None,
    )


def card_columns(card: Card) -> tuple:
    """(state, step, stability, difficulty, due, last_review) for card_state."""
    return (
        int(card.state), card.step, card.stability, card.difficulty, clock.to_iso(card.due),
        clock.to_iso(card.last_review) if card.last_review else None,
    )


def review_logs(store: Store) -> list[ReviewLog]:
    """Every review not undone, as the optimizer wants it."""
    rows = store.all(
        "SELECT card_id, rating, reviewed_at, duration_ms FROM review_log "
        "WHERE id NOT IN (SELECT review_id FROM review_undo) ORDER BY reviewed_at, id"
    )
    return [ReviewLog(r["card_id"], Rating(r["rating"]), clock.from_iso(r["reviewed_at"]), r["duration_ms"]) for r in rows]


def optimize(store: Store, now: datetime | None = None, min_reviews: int = MIN_REVIEWS_TO_OPTIMIZE, save: bool = True) -> list[float]:
    """Fit FSRS parameters to this user's reviews and (by default) use them from now on."""
    logs = review_logs(store)
    if len(logs) < min_reviews:
        raise KbError(
            f"only {len(logs)} reviews so far; fitting parameters needs at least {min_reviews}",
            "keep reviewing with the defaults; they are good until then",
        )
    try:
        # fsrs.optimizer imports torch and pandas at its top: only ever here, on demand.
        from fsrs.optimizer import Optimizer

        optimizer = Optimizer(logs)
    except ImportError as exc:
        raise KbError("the FSRS optimizer is not installed", "install it with: pip install 'paper-kb[optimizer]'") from exc
    parameters = [float(p) for p in optimizer.compute_optimal_parameters()]
    if save:
        with store.tx():
            store.execute(
                "INSERT INTO fsrs_parameters (fitted_at, n_reviews, parameters) VALUES (?, ?, ?)",
                (clock.to_iso(now or clock.utc_now()), len(logs), json.dumps(parameters)),
            )
    return parameters
