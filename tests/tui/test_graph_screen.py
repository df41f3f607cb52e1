"""The Graph screen: plan neighbours are listed as "read after (plan)", apart from "builds on",
with a plan that puts a newer paper first said so; titles are text, never markup."""

from __future__ import annotations

from kb.store import Store
from tests.tui.conftest import SIZE, settle
from tui.app import KbApp
from tui.messages import OpenGraph


async def test_plan_neighbours_read_after_not_builds_on(home, library):
    with Store.open(home) as store:
        # The fixture's plan lists LoRA (2021), then a Chinese paper, then QLoRA (2023).
        store.execute("UPDATE papers SET year = 2024, title = 'Editing [/etc/hosts] for offline mirrors' WHERE id = ?", (library["zh"],))
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.post_message(OpenGraph(library["qlora"]))
        await settle(pilot, app)
        tree = app.screen.query_one("#graph-tree")
        labels = [str(node.label) for node in tree.root.children]
    assert "· read after (plan): Editing [/etc/hosts] for offline mirrors (the plan puts the newer paper first)" in labels
    assert not any(label.startswith("↑") and "Editing" in label for label in labels)
