"""Review statistics over days of simulated reviews."""

from datetime import timedelta, timezone

from notes import review, scheduler, stats, sync
from tests.notes.conftest import T0, note_text

UTC = timezone.utc


def test_stats_after_a_week_of_reviews(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "\n".join(f"Q{i} :: A{i}" for i in range(4))))
    sync.sync_notes(store, home, config, T0)
    sched = scheduler.make_scheduler(fuzz=False)
    # Day 0: learn all four (good, then good after the 10-minute step: due in 2 days). Days 3-5:
    # review what is due, failing card 1 once.
    for card in range(1, 5):
        review.rate(store, card, "good", T0, scheduler=sched)
        review.rate(store, card, "good", T0 + timedelta(minutes=10), scheduler=sched)
    for day in (3, 4, 5):
        now = T0 + timedelta(days=day)
        for c in review.due_cards(store, now, tz=UTC):
            review.rate(store, c.id, "again" if c.id == 1 and day == 3 else "good", now, scheduler=sched)
    now = T0 + timedelta(days=5, hours=1)
    data = stats.review_stats(store, now, tz=UTC, days=7)
    logged = store.all("SELECT reviewed_at, rating, state_before FROM review_log")
    mature = [r for r in logged if r["state_before"] == 2]
    assert data["true_retention"] == round(sum(r["rating"] > 1 for r in mature) / len(mature), 4)
    assert 0 < data["true_retention"] < 1
    assert data["reviews_per_day"]["by_day"]["2025-06-02"] == 8
    assert sum(data["reviews_per_day"]["by_day"].values()) == len(logged)
    assert data["reviews_per_day"]["average"] == round(len(logged) / 7, 2)
    # Nothing was due on day 5 (today): the streak is days 3 and 4, counted up to yesterday.
    assert data["reviews_per_day"]["by_day"] == {"2025-06-02": 8, "2025-06-05": 4, "2025-06-06": 1}
    assert data["streak"] == 2
    assert data["cards"] == 4 and data["new_available"] == 0
    upcoming = store.scalar("SELECT COUNT(*) FROM card_state WHERE due >= ? AND due < ?", ("2025-06-08", "2025-06-15"))
    assert sum(d["count"] for d in data["due_next_7_days"]) == upcoming
    assert [d["date"] for d in data["due_next_7_days"]][0] == "2025-06-08"


def test_streak_counts_from_yesterday_until_today_has_reviews(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q :: A\nQ2 :: A2\nQ3 :: A3"))
    sync.sync_notes(store, home, config, T0)
    for day, card in ((0, 1), (1, 2)):
        review.rate(store, card, "good", T0 + timedelta(days=day))
    assert stats.streak(store, T0 + timedelta(days=2), UTC) == 2
    assert stats.streak(store, T0 + timedelta(days=3), UTC) == 0


def test_reviews_between_and_heatmap(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q :: A\nQ2 :: A2"))
    sync.sync_notes(store, home, config, T0)
    review.rate(store, 1, "good", T0)
    review.rate(store, 2, "good", T0)
    review.rate(store, 1, "good", T0 + timedelta(days=1))
    period = stats.reviews_between(store, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert (period["reviews"], period["cards"], period["new_cards"], period["retention"]) == (2, 2, 2, None)
    assert period["papers"] == [{"citekey": paper.citekey, "reviews": 2}]
    grid = stats.heatmap(store, T0 + timedelta(days=1), UTC, weeks=2).split("\n")
    # 2025-06-02 is a Monday: two reviews that day (the busiest, darkest), one on Tuesday.
    assert grid[0] == "Mon ·█" and grid[1] == "Tue ·▒" and grid[2] == "Wed · "
