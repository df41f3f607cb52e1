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


async def test_paper_screen_shows_backlinks(home, library):
    from kb import config as config_mod, paths
    from notes.files import notes_dir

    with Store.open(home) as store:
        qlora = store.scalar("SELECT citekey FROM papers WHERE id = ?", (library["qlora"],))
    note = notes_dir(home, config_mod.load(paths.config_path(home))) / "hu2021lora.md"
    with open(note, "a", encoding="utf-8") as fh:
        fh.write(f"\nQuantised in [[{qlora}|QLoRA]].\n")
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)  # Today syncs the notes
        from tui.messages import OpenPaper

        app.post_message(OpenPaper(library["qlora"]))
        await settle(pilot, app)
        options = app.screen.query_one("#neighbours")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    assert any(p.startswith("linked from") and "LoRA" in p for p in prompts), prompts
