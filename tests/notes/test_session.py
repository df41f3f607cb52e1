"""Defect 7 and reviewing like Anki: a card removed from its note while shown is skipped, a card
rated Again comes back in the session, intervals per key, siblings buried, suspend and bury."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from notes import review, scheduler, sync
from tests.notes.conftest import T0, note_text

NOW = "2025-06-02T09:00:00Z"


@pytest.fixture
def two_cards(store, home, config, make_paper, write_note):
    paper = make_paper()
    path = write_note("hu2021lora.md", note_text(paper, "What does LoRA freeze? :: the pretrained weights\n\nWhich rank? :: 4 or 8"))
    sync.sync_notes(store, home, config, T0)
    return paper, path


def test_a_card_removed_from_its_note_while_shown_is_skipped(cli, store, two_cards, write_note, monkeypatch):
    """The user deletes the card in another window between seeing it and rating it."""
    paper, _ = two_cards
    real_rate = review.rate

    def rate_after_the_user_deleted_it(store_, card_id, *args, **kwargs):
        if card_id == 1:
            write_note("hu2021lora.md", note_text(paper, "Which rank? :: 4 or 8"))
            sync.sync_notes(store_, store_.home, {}, T0)
        return real_rate(store_, card_id, *args, **kwargs)

    monkeypatch.setattr(review, "rate", rate_after_the_user_deleted_it)
    code, out, _ = cli("review", "--now", NOW, input="\n3\n\n3\nq\n")
    assert code == 0, out
    assert "skipped: card 1 is suspended (removed from note)" in out
    assert "Which rank?" in out and out.count("→ learning") == 1  # the next card was rated
    assert store.scalar("SELECT count(*) FROM review_log WHERE card_id = 1") == 0


def test_again_comes_back_in_the_same_session(cli, store, two_cards):
    code, out, _ = cli("review", "--now", NOW, input="\n1\n\n3\n\n3\nq\n")
    assert code == 0, out
    # Card 1 (Again: due in 1 min), card 2 (Good: 10 min), card 1 again (learn-ahead), and with
    # the clock held still it is the next one shown again (its 10-minute step is within 20).
    assert out.count("What does LoRA freeze?") == 3 and "Stopped after 3 review(s)." in out
    assert "1 again 1 min · 2 hard 6 min · 3 good 10 min · 4 easy" in out  # the next interval on each key


def test_session_cards_learn_ahead_and_come_back_later(store, two_cards):
    sched = scheduler.make_scheduler(fuzz=False)
    review.rate(store, 1, "again", T0, scheduler=sched)
    review.rate(store, 2, "good", T0, scheduler=sched)
    assert review.due_cards(store, T0) == []  # neither is due yet
    assert [c.id for c in review.session_cards(store, T0)] == [1, 2]  # both within 20 minutes
    review.rate(store, 1, "good", T0 + timedelta(minutes=1), scheduler=sched)  # 10 min step
    review.rate(store, 2, "good", T0 + timedelta(minutes=10), scheduler=sched)  # graduates: days
    later = T0 + timedelta(minutes=10)
    assert [c.id for c in review.session_cards(store, later)] == [1]
    assert review.next_due(store, later) == T0 + timedelta(minutes=11)


def test_preview_orders_the_keys(store, two_cards):
    shown = review.preview(store, 1, T0)
    assert shown["again"] == timedelta(minutes=1) and shown["good"] == timedelta(minutes=10)
    assert shown["again"] < shown["hard"] < shown["good"] < shown["easy"]
    assert store.scalar("SELECT count(*) FROM review_log") == 0  # a preview records nothing


def test_siblings_are_buried_until_tomorrow_and_undo_unburies(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("n.md", note_text(paper, "{{c1::LoRA}} adds {{c2::low-rank}} updates\n\nOther :: card"))
    sync.sync_notes(store, home, config, T0)
    ids = [r["id"] for r in store.all("SELECT id FROM cards ORDER BY line, cloze_index")]
    assert len(ids) == 3 and review.siblings(store, ids[0]) == [ids[1]]
    review.rate(store, ids[0], "good", T0)
    assert [c.id for c in review.due_cards(store, T0)] == [ids[2]]  # c2 buried, not shown today
    tomorrow = T0 + timedelta(days=1)
    assert ids[1] in [c.id for c in review.due_cards(store, tomorrow)]
    review.undo_last(store, T0)
    assert [c.id for c in review.due_cards(store, T0)] == ids


def test_suspend_and_bury_from_the_cli(cli, store, two_cards):
    code, out, _ = cli("review", "suspend", "1", "--json")
    assert code == 0 and '"suspended": true' in out
    code, out, _ = cli("review", "due", "--json", "--now", NOW)
    assert '"id": 1,' not in out and '"id": 2,' in out
    code, out, _ = cli("review", "stats", "--json", "--now", NOW)
    assert json.loads(out)["suspended"] == 1 and json.loads(out)["new_available"] == 1
    code, out, err = cli("review", "rate", "1", "good", "--now", NOW)
    assert code == 2 and "suspended" in err
    cli("review", "suspend", "1", "--undo")
    code, out, _ = cli("review", "bury", "2", "--json", "--now", NOW)
    assert code == 0 and "buried_until" in out
    code, out, _ = cli("review", "due", "--json", "--now", NOW)
    assert '"id": 1,' in out and '"id": 2,' not in out
    code, out, _ = cli("review", "edit", "2", "--json")
    where = json.loads(out)
    assert code == 0 and open(where["path"], encoding="utf-8").read().splitlines()[where["line"] - 1] == "Which rank? :: 4 or 8"
    code, _, err = cli("review", "bury", "99")
    assert code == 3 and err.startswith("error: no card with id 99")


def test_edit_opens_the_card_line(monkeypatch):
    from notes.editor import line_args

    assert line_args(["vim"], "/n/a.md", 12) == ["vim", "+12", "/n/a.md"]
    assert line_args(["/usr/bin/code", "-w"], "/n/a.md", 3) == ["/usr/bin/code", "-w", "--goto", "/n/a.md:3"]
    assert line_args(["notepad"], "/n/a.md", 3) == ["notepad", "/n/a.md"]


def test_cloze_answer_highlights_exactly_the_deletion():
    """CJK text repeats characters: a diff of the two sides marks the wrong ones; the card as
    written says exactly what was hidden. The highlight is rich Text: data is never markup."""
    from notes.cards import parse
    from tui.widgets.card import cloze_answer

    source = "秩 r 是{{c1::低秩分解的秩}}秩"
    (card,) = parse(source).cards
    styled = cloze_answer(card.front, card.back, card.source, card.cloze_index)
    marked = [(s.start, s.end) for s in styled.spans if "underline" in str(s.style)]
    assert styled.plain == "秩 r 是低秩分解的秩秩" and [styled.plain[a:b] for a, b in marked] == ["低秩分解的秩"]
    naive = cloze_answer(card.front, card.back)  # the diff alone marks 秩 r 是[低]秩[分解的秩]
    assert [(s.start, s.end) for s in naive.spans if "underline" in str(s.style)] != marked
    (odd,) = parse("Edit {{c1::[/etc/hosts]}} offline").cards  # markup-like data stays text
    assert cloze_answer(odd.front, odd.back, odd.source, odd.cloze_index).plain == "Edit [/etc/hosts] offline"


def test_suspend_and_bury_in_the_cli_session(cli, store, two_cards):
    code, out, _ = cli("review", "--now", NOW, input="\ns\n\nb\n")
    assert code == 0, out
    assert "suspended card 1" in out and "buried card 2 until" in out and "Done: 0 review(s)." in out
    assert store.scalar("SELECT count(*) FROM review_log") == 0
