"""Every screen mounted over every generated state (tests/tui/states.py) without an exception,
and the crashes a real week found (issue 13, defects 1 and 2), each pinned by a test."""

from __future__ import annotations

import pytest

from rich.text import Text

from kb import papers
from kb.store import Store
from tests.tui.conftest import screen_text, settle
from tests.tui.states import SHOWN_TITLES, STATES, hostile_titles, many_runs
from tui.app import KbApp
from tui.messages import OpenGraph, OpenPaper, StartRun


def _paper_ids(home, most: int = 3) -> list[int]:
    """The papers with the oddest titles first (brackets, escapes), then the others."""
    with Store.open(home) as store:
        rows = store.all("SELECT id, title FROM papers ORDER BY id")
    odd = [r["id"] for r in rows if any(c in r["title"] for c in "[]\\\x1b")]
    return (odd + [r["id"] for r in rows if r["id"] not in odd])[:most]


@pytest.mark.parametrize("state", sorted(STATES))
async def test_every_screen_mounts_over_every_state(home, state):
    STATES[state](home)
    size = (80, 24)
    app = KbApp(home=home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app, 20)
        # The search box takes printable keys: escape leaves it before the next screen's key.
        for key in ("p", "l", "b", "v", "t", "f1", "escape", "slash", "escape"):
            await pilot.press(key)
            await settle(pilot, app, 30)
            lines = screen_text(app).splitlines()
            assert all(len(line) <= size[0] for line in lines)
            # The footer keeps Brief and Quit at 80 columns (in a text box, b and q are letters).
            if key != "f1" and type(app.focused).__name__ != "Input":
                assert "b Brief" in lines[-1] and "q Quit" in lines[-1], lines[-1]
        for paper_id in _paper_ids(home):
            app.post_message(OpenPaper(paper_id))
            await settle(pilot, app, 20)
            app.post_message(OpenGraph(paper_id))
            await settle(pilot, app, 20)
            await pilot.press("escape", "escape")
        app.post_message(StartRun(name="kd"))
        await settle(pilot, app, 20)
        await pilot.press("escape")
        await settle(pilot, app)
    # run_test re-raises a crash inside the app; a clean exit leaves no return code set.
    assert app.return_code in (None, 0)


async def test_today_starts_with_two_runs_of_one_paper(home):
    """Defect 1: Recent runs were keyed by paper id: DuplicateKey on every start."""
    many_runs(home)
    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = app.screen.query_one("#runs")
        assert runs.row_count == 6  # the newest six, two and more per paper
        verdicts = [str(runs.get_row_at(i)[1]).split(" ", 1)[1] for i in range(runs.row_count)]
        # One verdict per run, the same words as reproductions.records.verdict_label.
        assert verdicts[:6] == ["stopped before a verdict", "cancelled", "claim held", "error", "cancelled",
                                "claim did not hold"]


async def test_today_runs_name_the_paper_by_its_title_not_its_arxiv_id(home):
    """Recent runs showed the arXiv id while `kb today` shows the title: the title now, as data
    (brackets kept, never markup), cut to the column (CJK counted by cells)."""
    from reproductions import records, registry
    from tui.screens.today import RUN_PAPER_WIDTH

    with Store.open(home) as store:
        papers.upsert(store, title="[b]蒸馏[/b] 知识 [/]", arxiv_id="1503.02531", year=2015)
        papers.upsert(store, title="LoRA: 低秩适配 [v3] of Large Language Models", arxiv_id="2106.09685", year=2021)
        for name in ("kd", "lora"):
            run_id = records.create(store, registry.get(name), "tiny", {}, 0, "cpu")
            records.finish(store, run_id, seconds=1.0, status="passed", passed=True, metrics={})
    app = KbApp(home=home)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        runs = app.screen.query_one("#runs")
        cells = [runs.get_row_at(i)[-1] for i in range(runs.row_count)]
        assert all(isinstance(cell, Text) for cell in cells)
        long = Text("LoRA: 低秩适配 [v3] of Large Language Models")
        long.truncate(RUN_PAPER_WIDTH, overflow="ellipsis")
        assert [cell.plain for cell in cells] == [long.plain, "[b]蒸馏[/b] 知识 [/]"]
        assert long.plain.endswith("…") and long.cell_len <= RUN_PAPER_WIDTH
        text = screen_text(app)
        assert "[b]蒸馏[/b] 知识 [/]" in text and long.plain in text
        assert "1503.02531" not in text and "2106.09685" not in text


async def test_the_same_paper_twice_in_one_week_is_one_row(home):
    """Defect 1, plan side: a week listing one paper twice gave two rows with one key and crashed
    Today. The importer now folds the repeated reference into one item (issue 13, item 6), and
    rows are keyed by item id, so the week shows it once and nothing crashes."""
    hostile_titles(home)
    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        week = app.screen.query_one("#week")
        titles = [str(week.get_row_at(i)[3]) for i in range(week.row_count)]
        assert titles.count("Attention Is All You Need") == 1


async def test_markup_and_escapes_in_titles_are_shown_as_written(home):
    """Defect 2: `Editing [/etc/hosts] for offline mirrors` crashed Today; escapes reached the terminal."""
    hostile_titles(home)
    app = KbApp(home=home)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "Reading plan [draft] \\ 草稿 · week 1" in text and "Editing [/etc/hosts] for offline mirrors" in text
        await pilot.press("l")
        await settle(pilot, app)
        table = app.screen.query_one("#papers")
        shown = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        for title in SHOWN_TITLES:
            assert any(title.startswith(s.rstrip("…")) for s in shown), title
        assert not any("\x1b" in s for s in shown)
        await pilot.press("p")
        await settle(pilot, app)
        text = screen_text(app)
        assert "Reading plan [draft] \\ 草稿" in text and "Deep Learning [/] by Goodfellow" in text
        with Store.open(home) as store:
            pid = store.scalar("SELECT id FROM papers WHERE title LIKE 'Editing%'")
        app.post_message(OpenPaper(pid))
        await settle(pilot, app)
        cards = str(app.screen.query_one("#cards").render())
        assert "What does [/etc/hosts] map?" in cards and "[b]addresses[/b]" in cards
        meta = str(app.screen.query_one("#meta").render())
        assert "A. [b]Author[/b]" in meta


async def test_building_the_demo_from_the_welcome_screen(home):
    """Defect 2: "Build the demo library (d)" rendered the result's repr as markup (MarkupError)."""
    app = KbApp(home=home)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, app)
        assert app.focused.id == "build-demo"
        await pilot.press("enter")
        await settle(pilot, app, 120)
        text = screen_text(app)
        assert "Demo library ready" in text or "This week" in text
        assert app.return_code is None
        with Store.open(home) as store:
            assert store.scalar("SELECT count(*) FROM papers") > 5


def test_a_crash_exits_non_zero_with_one_line(home, run_kb):
    """Defect 1's other half: the crash exited 0 after a page of traceback."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("import sys; from pathlib import Path; from tui import main; from tui.screens.today import TodayScreen\n"
            "def boom(self, *_):\n    raise RuntimeError('boom [/] in Today')\n"
            "TodayScreen.on_mount = boom\n"
            "sys.exit(main.run(Path(sys.argv[1]), headless=True))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(home)], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert lines[0].startswith("error: the TUI stopped on an unexpected RuntimeError: boom [/] in Today"), proc.stderr
    assert len(lines) == 2 and lines[1].startswith("hint: "), proc.stderr
    log = home / "logs" / "tui-crash.log"
    assert log.exists() and "RuntimeError" in log.read_text(encoding="utf-8")


def _painted_before_measured(table) -> None:
    """Paint the table now, as a busy machine does between a screen filling it and the
    table's own idle handler (where Textual measures its columns)."""
    from textual.geometry import Region

    table.render_lines(Region(0, 0, table.size.width, table.size.height))


async def test_a_table_painted_before_its_idle_keeps_its_columns_whole(home, monkeypatch):
    """CI saw a restarted Today with "⊘ canc" and a three-cell "why" for a minute (stop 22):
    cells painted before the columns were measured stayed cached at their headers' widths.
    Today's first fill and the Library's are each painted at once; every cell reads whole."""
    from kb import config as config_mod, paths
    from kb.today import today
    from tui.messages import Loaded
    from tui.screens.library import LibraryScreen
    from tui.screens.today import TodayScreen

    many_runs(home)
    with Store.open(home) as store:
        data = today(store, home, config_mod.load(paths.config_path(home)), next_limit=8, runs_limit=6)
    monkeypatch.setattr(TodayScreen, "load", lambda self: None)  # the test fills Today itself
    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        today_screen = app.screen
        today_screen.show(Loaded("today", data))
        for table in today_screen.query("#week, #next, #runs"):
            _painted_before_measured(table)
        await settle(pilot, app)
        text = screen_text(app)
        # Read next's reason and the runs' verdicts, each whole.
        assert "no prerequisites" in text, text
        assert "⊘ cancelled" in text and "✘ claim did not hold" in text, text

        monkeypatch.setattr(LibraryScreen, "load", lambda self: None)
        await pilot.press("l")
        await settle(pilot, app)
        with Store.open(home) as store:
            from kb import library

            rows = library.overview(store, home, config_mod.load(paths.config_path(home)))
        app.screen.show(Loaded("papers", rows))
        _painted_before_measured(app.screen.query_one("#papers"))
        await settle(pilot, app)
        text = screen_text(app)
        assert "○ unread" in text and "2015" in text, text


def test_the_tables_own_cell_formatter_measures_as_textuals_does():
    """Table.fit measures cells as DataTable draws them. Textual's formatter is a private name;
    the stand-in used where a Textual has moved it must give the same widths."""
    from rich.console import Console
    from rich.text import Text
    from textual.render import measure
    from textual.widgets._data_table import default_cell_formatter

    from tui.widgets.table import _cell

    console = Console(width=200)
    for value in ("plain", "[b]bold[/b]", "低秩适配 LoRA", Text("[not markup]"), 3, 2.5, None, Text("⊘ cancelled")):
        assert measure(console, _cell(value), 1) == measure(console, default_cell_formatter(value), 1), value
