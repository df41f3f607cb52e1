"""The Run screen: one verdict per run at a glance, and the claim table readable without scrolling
sideways at 80×24 and 120×36 (issue 13, defect 4 and "the Run screen")."""

from __future__ import annotations

import pytest

from kb.store import Store
from tests.tui.conftest import screen_text, settle
from tests.tui.states import many_runs
from tui.app import KbApp
from tui.messages import OpenRun


def _run_ids(home) -> dict[str, int]:
    from reproductions import records

    with Store.open(home) as store:
        runs = records.list_runs(store)
    out: dict[str, int] = {}
    for run in runs:  # newest first: keep the oldest of each verdict (the one with the claims)
        out[records.verdict(run)] = run["run_id"]
    return out


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
async def test_a_held_run_shows_its_banner_and_claims_with_the_naive_variant(home, size):
    many_runs(home)
    app = KbApp(home=home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        app.post_message(OpenRun(_run_ids(home)["held"]))
        await settle(pilot, app)
        screen = app.screen
        banner = str(screen.query_one("#verdict").render())
        assert banner.startswith("✔ claim held") and "kd (tiny)" in banner
        table = screen.query_one("#result")
        headers = [str(c.label) for c in table.columns.values()]
        assert headers == ["check", "paper says", "measured", "held", "naive variant"]
        # Readable without sideways scrolling: the table is no wider than the screen shows.
        assert table.virtual_size.width <= table.size.width, (table.virtual_size, table.size)
        text = screen_text(app)
        assert all(len(line) <= size[0] for line in text.splitlines())
        cells = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert "[b]beats[/b]" in cells[0].replace("\n", " ") and "[T=1]" in cells[0].replace("\n", "")
        assert "✘ no" in cells[0]  # the naive variant did not hold
        assert "claim held" in text


@pytest.mark.parametrize("verdict, words", [("not_held", "✘ claim did not hold"), ("cancelled", "⊘ cancelled"),
                                            ("error", "! error"), ("crashed", "? stopped before a verdict")])
async def test_every_verdict_has_its_own_banner(home, verdict, words):
    many_runs(home)
    app = KbApp(home=home)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.post_message(OpenRun(_run_ids(home)[verdict]))
        await settle(pilot, app)
        banner = str(app.screen.query_one("#verdict").render())
        assert banner.startswith(words), banner
        assert app.screen.query_one("#verdict").has_class(f"verdict-{verdict}")
        if verdict in ("cancelled", "error"):
            assert "claim did not hold" not in screen_text(app)


async def test_curves_plot_one_metric_per_axis(home):
    from tui.widgets.curve import MetricCurve

    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        app.post_message(__import__("tui.messages", fromlist=["StartRun"]).StartRun(name="kd"))
        await settle(pilot, app)
        curve = app.screen.query_one(MetricCurve)
        for step in range(3):
            curve.add_point(step, {"acc": 0.5 + step / 10, "loss": 2.0 - step / 2, "note": "x"})
        await pilot.pause(0.1)
        assert list(curve.plots) == ["loss", "acc"]  # the loss first, one plot each
        assert curve.plots["acc"].ys == [0.5, 0.6, 0.7] and curve.plots["loss"].xs == [0, 1, 2]


async def test_enter_on_a_recent_run_opens_it(home):
    """Today's Recent runs are keyed by run: enter opens that run, not its paper."""
    many_runs(home)
    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        runs = app.screen.query_one("#runs")
        runs.focus()
        runs.move_cursor(row=1)  # the second newest: run #6, a cancelled lora run
        await pilot.press("enter")
        await settle(pilot, app)
        assert type(app.screen).__name__ == "RunScreen" and app.screen.run_id == 6
        assert str(app.screen.query_one("#verdict").render()).startswith("⊘ cancelled  ·  lora (tiny) · run #6")
