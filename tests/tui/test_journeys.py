"""The main journeys, end to end inside the app, with the editor and the PDF opener injected."""

from __future__ import annotations

from kb import config as config_mod, papers, paths
from kb.store import Store
from tests.tui.conftest import SIZE, Recorder, screen_text, settle
from tui.app import KbApp
from tui.messages import OpenPaper, StartRun


async def test_plan_to_paper_to_edit_note_to_review(home, library):
    editor = Recorder(append="\nWhich rank does LoRA use? :: r = 4 or 8\n")
    app = KbApp(home=home, editor=editor.edit)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        tree = app.screen.query_one("#plan-tree")
        # The cursor starts on the first item (LoRA), not on a heading.
        assert tree.cursor_node.data["paper_id"] == library["lora"]
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PaperScreen"
        await pilot.press("e")
        await settle(pilot, app)
        assert editor.calls and editor.calls[0].name.endswith(".md")
        # The edited note was re-read: its new card is on the paper screen.
        assert "Which rank does LoRA use?" in str(app.screen.query_one("#cards").render())
        await pilot.press("v")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "ReviewScreen"
        text = screen_text(app)
        assert "3 left" in text and "What does LoRA freeze?" in text and "pretrained weights" not in text
        await pilot.press("space")
        assert "pretrained weights" in screen_text(app)
        await pilot.press("3")
        await settle(pilot, app)
        # The cloze card: the deletion is hidden until revealed.
        text = screen_text(app)
        assert "LoRA adds [...] update matrices" in text and "low-rank" not in text.split("LoRA adds")[1][:40]
        await pilot.press("1")  # a rating before the reveal only reveals (as Anki)
        assert "LoRA adds low-rank update matrices" in screen_text(app)
        await pilot.press("1")
        await pilot.press("u")
        await settle(pilot, app)
        assert "LoRA adds [...] update matrices" in screen_text(app)
        await pilot.press("space", "4", "space", "3")
        await settle(pilot, app)
        text = screen_text(app)
        # The two cards rated Good are learning (due in 10 min): they come back in the session, as in Anki.
        assert "2 left · 3 reviewed" in text and "basic · learning" in text
        await pilot.press("space", "3", "space", "3")
        await settle(pilot, app)
        text = screen_text(app)
        assert "Session done: 5 cards reviewed" in text and "Good 4" in text and "Easy 1" in text
    with Store.open(home) as store:
        live = store.scalar("SELECT count(*) FROM review_log WHERE id NOT IN (SELECT review_id FROM review_undo)")
        undone = store.scalar("SELECT count(*) FROM review_undo")
    assert (live, undone) == (5, 1)


async def test_search_then_open_the_pdf_at_the_page(home, library):
    from kb.index import lexical

    config_mod.set_value(paths.config_path(home), "viewer.command", "zathura -P {page} {path}")
    with Store.open(home) as store:
        lexical.sync_papers(store)
    opener = Recorder()
    app = KbApp(home=home, opener=opener.open)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.press("ctrl+o")  # keyword search: no model to load in a test
        await pilot.press(*"low")
        app.screen.query_one("#query").insert_text_at_cursor("-rank adaptation")
        await pilot.pause(0.5)
        await settle(pilot, app, 20)
        text = screen_text(app)
        assert "[lexical]" in text and "LoRA: Low-Rank Adaptation" in text
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PaperScreen" and app.screen.paper_id == library["lora"]
        # A hit with a page opens there: the page travels from the hit to the viewer command.
        app.post_message(OpenPaper(library["lora"], page=7))
        await settle(pilot, app)
        await pilot.press("o")
        await settle(pilot, app)
    pdf = str(home / "files" / "lora.pdf")
    assert opener.calls == [["zathura", "-P", "7", pdf]]
    with Store.open(home) as store:
        assert papers.get(store, library["lora"]).status == "reading"  # opening an unread PDF starts reading it


async def test_graph_of_a_paper_lists_links_and_opens_them(home, library):
    from kb.graph import links

    with Store.open(home) as store:
        links.link(store, library["lora"], library["qlora"])
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.post_message(OpenPaper(library["qlora"]))
        await settle(pilot, app)
        await pilot.press("g")
        await settle(pilot, app)
        text = screen_text(app)
        assert "QLoRA: Efficient Finetuning" in text
        assert "↑ prerequisite: LoRA: Low-Rank Adaptation" in text
        await pilot.press("down", "o")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "PaperScreen" and app.screen.paper_id == library["lora"]


async def test_run_a_reproduction_in_its_tiny_preset_and_see_the_result(home, library):
    with Store.open(home) as store:
        kd, _ = papers.upsert(store, title="Distilling the Knowledge in a Neural Network", arxiv_id="1503.02531", year=2015)
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.post_message(OpenPaper(kd.id))
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "RunScreen" and app.screen.paper_id == kd.id
        await pilot.press("escape")
        # By name, as `kb repro run kd` (the paper's list needs every reproduction module installed).
        app.post_message(StartRun(name="kd"))
        await settle(pilot, app)
        assert "kd · tiny" in screen_text(app)  # the smallest preset is listed first
        await pilot.press("enter")
        await settle(pilot, app, 120)
        banner = str(app.screen.query_one("#verdict").render())
        assert banner.startswith(("✔ claim held", "✘ claim did not hold")) and "kd (tiny)" in banner
        table = app.screen.query_one("#result")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert any("bias raised" in str(r[0]) for r in rows)  # the paper's claims, checked one by one
        log = "\n".join(str(line.text) for line in app.screen.query_one("#log").lines)
        assert "starting kd (tiny)" in log and "[seeds 1/" in log  # live progress, one line per seed
    with Store.open(home) as store:
        row = store.one("SELECT reproduction, preset, status FROM runs")
    assert (row["reproduction"], row["preset"]) == ("kd", "tiny") and row["status"] in ("passed", "failed")


async def test_brief_preview_and_export(home, library):
    with Store.open(home) as store:
        papers.set_status(store, library["lora"], "read")
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await settle(pilot, app, 60)
        assert "LoRA" in app.screen.markdown, str(app.screen.query_one("#brief-status").render())
        await pilot.press("x")
        await settle(pilot, app, 60)
    exported = list((home / "briefs").glob("*.html"))
    assert exported and "LoRA" in exported[0].read_text(encoding="utf-8")
