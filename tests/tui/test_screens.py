"""Every screen, driven with Pilot on a small library built through the domain functions."""

from __future__ import annotations

from kb import papers
from kb.store import Store
from tests.tui.conftest import SIZE, screen_text, settle
from tui.app import KbApp


async def test_today_shows_due_cards_read_next_and_runs(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "2 cards due" in text
        assert "Read next" in text and "注意力机制综述 Attention Survey" in text
        assert "No runs yet" in text
        # The footer names the keys, with the screen's own first.
        assert "Refresh" in text.splitlines()[-1] and "Quit" in text.splitlines()[-1]


async def test_today_on_an_empty_library_offers_the_demo_and_plan_import(home):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "Your library is empty" in text
        assert "Build the demo library" in text
        assert app.focused.id == "build-demo"


async def test_plan_tree_shows_phases_weeks_items_and_cycles_status(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        lines = screen_text(app).splitlines()
        tree_text = "\n".join(lines)
        assert "LLM 学习计划" in tree_text and "第1个月" in tree_text and "周5-6：量化" in tree_text
        assert any("[x] paper" in l and "LoRA: Low-Rank" in l and "○ unread" in l for l in lines)
        assert any("[ ] task" in l and "复现简单的LoRA微调实验" in l for l in lines)
        # Wide characters keep the columns aligned: the status sits right after the title's cells.
        zh = next(l for l in lines if "注意力机制综述" in l)
        assert zh.index("○ unread") > zh.index("Attention Survey")
        tree = app.screen.query_one("#plan-tree")
        leaf = next(n for n in _walk(tree.root) if n.data and n.data.get("paper_id") == library["zh"])
        tree.move_cursor(leaf)
        await pilot.press("s")
        await settle(pilot, app)
        assert any("注意力机制综述" in l and "◐ reading" in l for l in screen_text(app).splitlines())
    with Store.open(home) as store:
        assert papers.get(store, library["zh"]).status == "reading"


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


async def test_library_table_filters_and_sorts(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        table = app.screen.query_one("#papers")
        assert table.row_count == 3
        assert "Due" in screen_text(app) and "周1-2：LLM基础" in screen_text(app)
        await pilot.press("f", *"qlora")
        await pilot.pause(0.1)
        assert table.row_count == 1 and "QLoRA" in screen_text(app)
        await pilot.press("escape")
        assert table.row_count == 3
        await pilot.press("o")  # sort by year
        await pilot.pause(0.1)
        years = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert years == [2020, 2021, 2023]
        assert "sorted by Year" in app.screen.sub_title


async def test_paper_screen_shows_metadata_note_cards_and_repro_sections(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.post_message(__import__("tui.messages", fromlist=["OpenPaper"]).OpenPaper(library["lora"]))
        await settle(pilot, app)
        screen = app.screen
        assert type(screen).__name__ == "PaperScreen"
        meta = str(screen.query_one("#meta").render())
        assert "LoRA: Low-Rank Adaptation" in meta and "hu2021lora" in meta and "arXiv 2106.09685" in meta
        assert "What does LoRA freeze?" in str(screen.query_one("#cards").render())
        assert "pretrained weights" in str(screen.query_one("#cards").render())
        note = screen.query_one("#note")
        assert "paper_id:" not in note.source  # the front matter is not shown
        assert "What does LoRA freeze?" in note.source


async def test_help_lists_keys_and_closes(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f1")
        await pilot.pause(0.2)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "paper-kb keys" in help_text
        # Every screen's keys, read from the bindings: each description appears under its screen.
        import importlib

        from tui.screens.help import SCREENS, bindings_of, key_name

        for module, name, heading in SCREENS:
            cls = getattr(importlib.import_module(f"tui.screens.{module}"), name)
            section = help_text.split(f"\n{heading}\n", 1)[1]
            for b in bindings_of(cls):
                assert f"{key_name(b):<16}{b.description}" in section, (heading, b)
        assert "Cancel run" in help_text and "Again" in help_text and "Mode" in help_text
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert type(app.screen).__name__ == "TodayScreen"


async def test_small_terminal_and_light_theme(home, library):
    app = KbApp(home=home)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "cards due" in text and "This week" in text and "Read next" in text
        assert all(len(line) <= 80 for line in text.splitlines())
        await pilot.press("f2")
        assert app.theme == "textual-light"
        await pilot.press("f2")
        assert app.theme == "textual-dark"
