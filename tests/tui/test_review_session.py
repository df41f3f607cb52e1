"""Defect 7 on the Review screen: a card deleted from its note while shown does not block the
ratings (skipped with a notice), and the keys show each rating's next interval."""

from __future__ import annotations

import os

from kb import config as config_mod, paths
from kb.store import Store
from tests.tui.conftest import SIZE, screen_text, settle
from tui.app import KbApp


async def test_a_card_deleted_while_shown_is_skipped_and_the_next_is_rated(home, library):
    from notes.files import notes_dir

    note = notes_dir(home, config_mod.load(paths.config_path(home))) / "hu2021lora.md"
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await settle(pilot, app)
        assert "What does LoRA freeze?" in screen_text(app)
        await pilot.press("space")
        await settle(pilot, app)
        assert "1 Again 1 min" in screen_text(app) and "3 Good 10 min" in screen_text(app)
        # The user deletes the card in their editor, in another window, while it is shown.
        text = note.read_text(encoding="utf-8").replace("What does LoRA freeze? :: the pretrained weights\n", "")
        note.write_text(text, encoding="utf-8")
        os.utime(note, (1_900_000_000, 1_900_000_000))
        await pilot.press("3")
        await settle(pilot, app)
        notices = [str(n.message) for n in app._notifications]
        assert any(n.startswith("skipped: card") and "removed from note" in n for n in notices), notices
        assert "LoRA adds [...] update matrices" in screen_text(app)
        await pilot.press("space", "3")  # the next rating is not blocked
        await settle(pilot, app)
        assert "1 reviewed" in screen_text(app) or "Session done: 1 cards" in screen_text(app)
    with Store.open(home) as store:
        rated = [r["card_id"] for r in store.all("SELECT card_id FROM review_log")]
        gone = store.scalar("SELECT id FROM cards WHERE front = 'What does LoRA freeze?'")
    assert gone not in rated and len(rated) == 1


async def test_bury_suspend_and_edit_from_the_review_screen(home, library):
    from tests.tui.conftest import Recorder

    editor = Recorder()
    app = KbApp(home=home, editor=editor.edit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await settle(pilot, app)
        assert "What does LoRA freeze?" in screen_text(app)
        await pilot.press("e")  # the note at the card's line, then the queue read again
        await settle(pilot, app)
        assert editor.calls and editor.calls[0].name == "hu2021lora.md"
        assert "What does LoRA freeze?" in screen_text(app)
        await pilot.press("minus")  # bury until tomorrow
        await settle(pilot, app)
        assert "LoRA adds [...] update matrices" in screen_text(app)
        await pilot.press("at")  # suspend
        await settle(pilot, app)
        assert "No cards due" in screen_text(app)
    with Store.open(home) as store:
        flags = {r["front"]: (r["user_suspended"], r["buried_until"] is not None) for r in store.all(
            "SELECT c.front, f.user_suspended, f.buried_until FROM card_flags f JOIN cards c ON c.id = f.card_id")}
        assert store.scalar("SELECT count(*) FROM review_log") == 0
    assert flags == {"What does LoRA freeze?": (0, True), "LoRA adds [...] update matrices.": (1, False)}


async def test_the_screen_says_when_the_next_learning_card_comes_back(home, library):
    from datetime import datetime, timedelta, timezone

    from notes import clock, review

    with Store.open(home) as store:
        later = datetime.now(timezone.utc)
        for card_id in [r["id"] for r in store.all("SELECT id FROM cards")]:
            review.rate(store, card_id, "again", later)
        # Both learning cards fall due in 30 and 40 minutes: beyond the 20-minute learn-ahead.
        for n, card_id in enumerate(r["id"] for r in store.all("SELECT id FROM cards ORDER BY id")):
            store.execute("UPDATE card_state SET due = ? WHERE card_id = ?", (clock.to_iso(later + timedelta(minutes=30 + 10 * n)), card_id))
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await settle(pilot, app)
        text = screen_text(app)
        due = (later + timedelta(minutes=30)).astimezone()
        assert f"Next card due at {due:%H:%M}" in text or f"{due:%Y-%m-%d %H:%M}" in text
        assert "this screen brings it back then" in text
        assert app.screen._timer is not None
