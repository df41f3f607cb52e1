"""Defect 5: plan order is reading order, not "builds on". With the real seed plans imported,
no view calls a plan-only edge "builds on", and a plan edge that goes back in time says so."""

from __future__ import annotations

import json

import pytest

from kb.graph import build_graph, suggest_next
from kb.plans.importer import import_plan


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A home with every seed plan imported (offline catalog matching only: about a second)."""
    from tests.conftest import SHARED
    from kb.store import Store

    home = tmp_path_factory.mktemp("seeded")
    store = Store.open(home)
    for seed in sorted((SHARED / "seeds").glob("*.txt")):
        import_plan(store, seed)
    yield home, store
    store.close()


def _run(home, *args):
    from click.testing import CliRunner

    from kb.cli.main import main

    with CliRunner().isolation() as (out, err, *_):
        code = main(["--home", str(home), *args])
        return code, out.getvalue().decode()


def test_plan_edges_say_read_after_and_mark_going_back_in_time(seeded):
    home, store = seeded
    code, out = _run(home, "graph", "export", "--format", "json")
    edges, years = json.loads(out)["edges"], {n["id"]: n["year"] for n in json.loads(out)["nodes"]}
    back = [e for e in edges if years[e["source"]] and years[e["target"]] and years[e["source"]] > years[e["target"]]]
    assert code == 0 and len(back) >= 10  # the seed plans put newer papers first ~20 times
    for e in edges:
        assert e["relation"] == ("read after" if set(e["kinds"]) == {"plan"} else "builds on"), e
    # Every edge from a newer to an older paper is plan order and says it goes back in time.
    assert all(e["relation"] == "read after" and e["back_in_time"] for e in back)


def test_show_never_lists_plan_neighbours_as_builds_on(seeded):
    """Hinton et al. 2015 does not build on TinyStories 2023 because a plan lists it first."""
    home, store = seeded
    hinton = store.scalar("SELECT id FROM papers WHERE arxiv_id = '1503.02531'")
    tiny = store.scalar("SELECT id FROM papers WHERE title LIKE 'TinyStories%'")
    code, out = _run(home, "graph", "1503.02531", "--json")
    data = json.loads(out)
    assert code == 0 and hinton and tiny
    assert tiny not in {p["id"] for p in data["builds_on"]}
    assert {"id": tiny, "back_in_time": True}.items() <= next(p for p in data["read_after"] if p["id"] == tiny).items()
    code, text = _run(home, "graph", "1503.02531")
    builds_on_part, plan_part = text.split("plan order")
    assert "TinyStories" not in builds_on_part and "read after TinyStories" in plan_part
    assert "the plan puts the newer paper first" in plan_part.split("TinyStories")[1].splitlines()[0]
    # Over the whole library: no paper's "builds on" tree holds a plan-only edge.
    from kb.graph.tree import subtree

    g = build_graph(store)
    for paper in g:
        for direction in ("up", "down"):
            assert all("plan" not in item["kinds"] and item["kinds"] for item in subtree(g, paper, 1, direction))


def test_no_plan_on_every_graph_command(seeded):
    home, store = seeded
    code, out = _run(home, "graph", "1503.02531", "--no-plan", "--json")
    assert code == 0 and json.loads(out)["read_after"] == [] == json.loads(out)["read_before"]
    code, out = _run(home, "graph", "1503.02531", "--no-plan")
    assert code == 0 and "plan order" not in out
    code, out = _run(home, "graph", "export", "--no-plan", "--format", "json")
    assert code == 0 and all(e["relation"] == "builds on" for e in json.loads(out)["edges"])
    with_plan = suggest_next(store, limit=50)
    without = suggest_next(store, limit=50, include_plan=False)
    assert any(s["plan"] for s in with_plan) and not any(s["plan"] for s in without)
    code, out = _run(home, "next", "--no-plan", "--limit", "50", "--json")
    assert code == 0 and json.loads(out) == without


def test_the_demo_graph_never_says_an_older_paper_builds_on_a_newer_one(tmp_path):
    home = tmp_path / "demo"
    code, _ = _run(home, "demo")
    assert code == 0
    code, out = _run(home, "graph", "export", "--format", "json")
    data = json.loads(out)
    years = {n["id"]: n["year"] for n in data["nodes"]}
    back = [e for e in data["edges"] if years[e["source"]] > years[e["target"]]]
    assert back and all(e["relation"] == "read after" and e["back_in_time"] for e in back)
    code, out = _run(home, "graph", "export", "--format", "dot")
    assert out.count('label="read after (newer first)"') == len(back)
