"""Removing from the TUI asks first (the Confirm dialog), then does what the CLI does; d ticks
off a plan item as `kb plan done` does."""

from __future__ import annotations

from kb.store import Store
from tests.tui.conftest import SIZE, settle
from tui.app import KbApp


async def test_remove_a_paper_and_a_plan_after_confirming(home, library):
    from notes.files import notes_dir
    from kb import config as config_mod, paths

    notes = sorted(p.name for p in notes_dir(home, config_mod.load(paths.config_path(home))).glob("*.md"))
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        await pilot.press("x")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")  # keep
        await settle(pilot, app)
        with Store.open(home) as store:
            assert store.scalar("SELECT count(*) FROM papers") == 3
        await pilot.press("x", "y")
        await settle(pilot, app)
        with Store.open(home) as store:
            assert store.scalar("SELECT count(*) FROM papers") == 2
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("x")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        with Store.open(home) as store:
            assert store.scalar("SELECT count(*) FROM plans") == 0
    assert sorted(p.name for p in notes_dir(home, config_mod.load(paths.config_path(home))).glob("*.md")) == notes


async def test_plan_screen_d_ticks_the_item(home, tmp_path, cli):
    from kb.store import Store
    from tests.tui.conftest import SIZE, settle
    from tui.app import KbApp

    from tests.plans.test_ticks import _import

    _import(cli, tmp_path)
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        item = app.screen.query_one("#plan-tree").cursor_node.data
        await pilot.press("d")
        await settle(pilot, app)
    with Store.open(home) as store:
        from kb.plans import ticks

        assert ticks.is_done(store, ticks.resolve_item(store, str(item["id"])))


async def test_remove_the_finished_run_on_the_run_screen(home, library):
    from reproductions import records, registry
    from tui.screens.run import RunScreen

    with Store.open(home) as store:
        run_id = records.create(store, registry.get("kd"), "tiny", {}, 0, "cpu")
        records.finish(store, run_id, status="cancelled")
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = RunScreen(name="kd")
        app.push_screen(screen)
        await settle(pilot, app)
        await pilot.press("x")  # nothing finished here yet: a notice, nothing removed
        await settle(pilot, app)
        screen._on_finished({"run_id": run_id, "status": "cancelled"})  # as when the run ends
        await pilot.press("x", "y")
        await settle(pilot, app)
    with Store.open(home) as store:
        assert store.scalar("SELECT count(*) FROM runs") == 0


async def test_plan_screen_u_makes_today_follow_that_plan(home, library, tmp_path, cli):
    """As `kb plan use PLAN`: u on an item of the second plan, and Today shows that plan's week."""
    other = tmp_path / "course.md"
    other.write_text("# 课程大纲\n## 第1周\n- Attention Is All You Need (arXiv:1706.03762)\n", encoding="utf-8")
    assert cli("plan", "import", str(other), "--name", "course")[0] == 0
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "the first of 2 plans" in str(app.screen.query_one("#week-panel").border_subtitle)
        await pilot.press("p")
        await settle(pilot, app)
        tree = app.screen.query_one("Tree")
        course = next(node for node in _leaves(tree.root) if node.data.get("title") == "Attention Is All You Need")
        tree.move_cursor(course)
        await settle(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        panel = app.screen.query_one("#week-panel")
        assert "课程大纲" in str(panel.border_title) and not panel.border_subtitle


def _leaves(node):
    for child in node.children:
        if child.data:
            yield child
        yield from _leaves(child)
