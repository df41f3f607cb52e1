"""Scheduling with an injected clock: queues, limits, ratings, undo, the append-only log."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from kb.errors import BadInput, NotFound
from notes import review, scheduler, sync
from notes.scheduler import Limits
from tests.notes.conftest import T0, note_text

UTC = timezone.utc


@pytest.fixture
def deck(store, home, config, make_paper, write_note):
    """A paper whose note holds n cards; returns their ids."""

    def _deck(n: int):
        paper = make_paper()
        write_note("hu2021lora.md", note_text(paper, "\n".join(f"Question {i} :: answer {i}" for i in range(n))))
        sync.sync_notes(store, home, config, T0)
        return [r["id"] for r in store.all("SELECT id FROM cards ORDER BY id")]

    return _deck


def test_good_every_time_grows_the_interval(store, deck):
    (card,) = deck(1)
    sched = scheduler.make_scheduler(fuzz=False)
    now, intervals = T0, []
    for _ in range(8):
        due = review.due_cards(store, now, tz=UTC)
        assert [c.id for c in due] == [card]
        rated = review.rate(store, card, "good", now, 4000, scheduler=sched)
        intervals.append(rated.interval)
        now = rated.due
    assert intervals[0] == timedelta(minutes=10)  # the learning step
    days = [i.days for i in intervals[1:]]
    assert days == sorted(days) and days[-1] > 60, days
    assert store.scalar("SELECT COUNT(*) FROM review_log WHERE card_id = ?", (card,)) == 8


def test_again_lapses_a_learned_card(store, deck):
    (card,) = deck(1)
    sched = scheduler.make_scheduler(fuzz=False)
    first = review.rate(store, card, "easy", T0, scheduler=sched)
    assert first.state == "review" and first.interval >= timedelta(days=1)
    lapse = review.rate(store, card, "again", first.due, scheduler=sched)
    assert lapse.state == "relearning" and lapse.interval == timedelta(minutes=10)
    assert store.scalar("SELECT state_before FROM review_log ORDER BY id DESC LIMIT 1") == 2


def test_higher_retention_target_means_shorter_intervals(store, deck):
    a, b = deck(2)
    loose = review.rate(store, a, "easy", T0, scheduler=scheduler.make_scheduler(0.8, fuzz=False))
    strict = review.rate(store, b, "easy", T0, scheduler=scheduler.make_scheduler(0.95, fuzz=False))
    assert strict.interval < loose.interval


def test_daily_limits_for_new_cards_and_reviews(store, deck):
    ids = deck(30)
    limits = Limits(new_per_day=5, reviews_per_day=3)
    due = review.due_cards(store, T0, limits, tz=UTC)
    assert [c.id for c in due] == ids[:5] and {c.state for c in due} == {"new"}
    sched = scheduler.make_scheduler(fuzz=False)
    for card in due:
        review.rate(store, card.id, "easy", T0, scheduler=sched)
    assert review.due_cards(store, T0 + timedelta(hours=1), limits, tz=UTC) == []  # today's new cards are used up
    later = T0 + timedelta(days=60)
    due = review.due_cards(store, later, limits, tz=UTC)
    assert [c.state for c in due] == ["review"] * 3 + ["new"] * 5


def test_learning_cards_come_first_and_ignore_the_review_limit(store, deck):
    a, b = deck(2)
    review.rate(store, a, "again", T0)
    due = review.due_cards(store, T0 + timedelta(minutes=2), Limits(new_per_day=1, reviews_per_day=0), tz=UTC)
    assert [(c.id, c.state) for c in due] == [(a, "learning")]  # the new-card quota went to a


def test_undo_restores_state_and_keeps_the_log(store, deck):
    (card,) = deck(1)
    sched = scheduler.make_scheduler(fuzz=False)
    review.rate(store, card, "good", T0, scheduler=sched)
    before = dict(store.one("SELECT * FROM card_state WHERE card_id = ?", (card,)))
    review.rate(store, card, "good", T0 + timedelta(minutes=10), scheduler=sched)
    undone = review.undo_last(store, T0 + timedelta(minutes=11))
    assert (undone.card_id, undone.rating) == (card, "good")
    assert dict(store.one("SELECT * FROM card_state WHERE card_id = ?", (card,))) == before
    review.undo_last(store, T0 + timedelta(minutes=12))
    assert store.one("SELECT * FROM card_state WHERE card_id = ?", (card,)) is None  # new again
    assert review.undo_last(store) is None
    assert store.scalar("SELECT COUNT(*) FROM review_log") == 2
    assert store.scalar("SELECT COUNT(*) FROM review_undo") == 2
    assert review.due_cards(store, T0, tz=UTC)[0].state == "new"


def test_review_log_is_append_only(store, deck):
    (card,) = deck(1)
    review.rate(store, card, 3, T0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("UPDATE review_log SET rating = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM review_log")
    with pytest.raises(sqlite3.IntegrityError, match="history"):
        store.execute("DELETE FROM cards WHERE id = ?", (card,))


def test_bad_ratings_cards_and_clocks(store, deck):
    (card,) = deck(1)
    assert [scheduler.parse_rating(v).value for v in ("again", "H", "3", 4, "e")] == [1, 2, 3, 4, 4]
    with pytest.raises(BadInput):
        scheduler.parse_rating("5")
    with pytest.raises(BadInput):
        scheduler.parse_rating("")
    with pytest.raises(NotFound):
        review.rate(store, 999, "good", T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        review.rate(store, card, "good", datetime(2025, 6, 2, 9))
    store.execute("UPDATE cards SET suspended = 1, suspended_reason = 'removed from note'")
    with pytest.raises(BadInput, match="suspended"):
        review.rate(store, card, "good", T0)
    with pytest.raises(BadInput):
        scheduler.make_scheduler(1.5)


def test_review_logs_feed_the_optimizer_format(store, deck):
    a, b = deck(2)
    review.rate(store, a, "good", T0, 1200)
    review.rate(store, b, "again", T0 + timedelta(seconds=5), 800)
    review.undo_last(store)
    logs = scheduler.review_logs(store)
    assert [(l.card_id, int(l.rating), l.review_datetime, l.review_duration) for l in logs] == [(a, 3, T0, 1200)]
    with pytest.raises(Exception, match="at least 400"):
        scheduler.optimize(store)


def test_cards_for_paper_lists_a_notes_cards_in_order_with_their_state(store, deck):
    ids = deck(3)
    review.rate(store, ids[0], "good", T0)
    cards = review.cards_for_paper(store, store.scalar("SELECT paper_id FROM cards WHERE id = ?", (ids[0],)))
    assert [c["id"] for c in cards] == ids
    assert [c["front"] for c in cards] == ["Question 0", "Question 1", "Question 2"]
    assert cards[0]["state"] != "new" and cards[1]["state"] == "new"
    assert review.list_cards(store) == cards  # every note's cards: one paper here
