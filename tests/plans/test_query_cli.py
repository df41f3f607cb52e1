"""What the CLI, the TUI and the brief read: plan lists, the week-by-week tree, one week, and
`kb plan import/list/show/start` end to end."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kb import papers
from kb.errors import Ambiguous, NotFound
from kb.plans import importer, query

from .conftest import DATA


@pytest.fixture
def english(store):
    importer.import_plan(store, DATA / "english_plan.md", name="eff", today=date(2026, 9, 7))
    return store


def test_list_plans_counts_kinds_and_read_papers(english):
    papers.set_status(english, papers.resolve(english, "1706.03762").id, "read")
    [row] = query.list_plans(english)
    assert row["name"] == "eff" and row["lang"] == "en" and row["title"] == "Efficient LLMs: a 10-week reading plan"
    assert row["counts"]["paper"] == 23 and row["counts"]["book"] == 2 and row["counts"]["task"] >= 5
    assert (row["papers"], row["papers_read"]) == (23, 1)
    assert row["weeks"] == 10 and row["start_date"] == "2026-09-07"


def test_plan_tree_weeks_and_current_week(english):
    tree = query.plan_tree(english, None)
    labels = [p["label"] for p in tree["phases"]]
    assert labels[:3] == ["Phase 1 (Weeks 1-4): Foundations", "Phase 2 (Weeks 5-8): Parameter-efficient fine-tuning and quantisation",
                          "Phase 3 (Weeks 9-10): Efficient attention"]
    week1 = tree["phases"][0]["weeks"][0]
    assert week1["week_start"] == 1 and [i["kind"] for i in week1["items"]] == ["paper", "paper", "course", "task"]
    first = week1["items"][0]
    assert first["done"] and first["paper"]["arxiv_id"] == "1706.03762" and first["paper"]["citekey"] == "vaswani2017attention"
    assert [i["paper"]["arxiv_id"] for i in query.week_items(english, "eff", 2)] == ["2001.08361", "2203.15556", "2005.14165"]
    assert len(query.week_items(english, "eff", 3)) == len(query.week_items(english, "eff", 4)) == 8
    assert query.current_week(english, "eff", date(2026, 9, 21)) == 3
    assert query.current_week(english, "eff", date(2027, 1, 1)) is None  # past week 10
    notes = tree["phases"][-1]
    assert notes["label"] is None and all(i["kind"] == "other" for i in notes["weeks"][0]["items"])


def test_resolve_plan_by_id_name_prefix_and_errors(store):
    with pytest.raises(NotFound):
        query.resolve_plan(store, None)
    plan = "# P\n- **Papers**:\n  - \"Attention Is All You Need\"\n"
    importer.import_text(store, plan, "alpha-plan")
    assert query.resolve_plan(store, None)["name"] == "alpha-plan"
    importer.import_text(store, plan, "alpha-two")
    with pytest.raises(Ambiguous):
        query.resolve_plan(store, None)
    with pytest.raises(Ambiguous):
        query.resolve_plan(store, "alpha")
    assert query.resolve_plan(store, "alpha-t")["name"] == "alpha-two"
    assert query.resolve_plan(store, "ALPHA-PLAN")["name"] == "alpha-plan"
    assert query.resolve_plan(store, "1")["name"] == "alpha-plan"
    with pytest.raises(NotFound):
        query.resolve_plan(store, "beta")


def test_a_number_with_leading_zeros_is_the_start_of_a_name_not_an_id(store):
    """Plans are named after their files, and the seeds' files are 000_….txt to 004_….txt:
    "004" meant plan 4 (another plan), where the user typed the start of 004_66f75a8c207efac1."""
    plan = "# P\n- **Papers**:\n  - \"Attention Is All You Need\"\n"
    for name in ("004_66f7", "000_ac20", "001_6161", "003_c081"):  # plan ids 1 to 4
        importer.import_text(store, plan, name)
    assert query.resolve_plan(store, "004")["name"] == "004_66f7"
    assert query.resolve_plan(store, "001")["name"] == "001_6161"
    assert query.resolve_plan(store, "4")["name"] == "003_c081"  # written as an id, it is one
    assert query.resolve_plan(store, "1")["name"] == "004_66f7"


def test_cli_import_show_week_kind_json_and_start(cli):
    code, out, err = cli("plan", "import", str(DATA / "english_plan.md"), "--name", "eff")
    assert code == 0, err
    assert "imported plan eff" in out and "23 papers" in out
    code, out, _ = cli("plan", "show", "eff", "--week", "6")
    assert code == 0
    assert "Week 6: Quantisation" in out and "dettmers2023qlora" in out and "unread" in out
    assert "Reformer" not in out
    code, out, _ = cli("plan", "show", "--kind", "book", "--json")
    tree = json.loads(out)
    titles = [i["title"] for p in tree["phases"] for w in p["weeks"] for i in w["items"]]
    assert titles == ["Deep Learning", "Natural Language Processing with Transformers"]
    code, out, _ = cli("plan", "show")
    assert "books:" in out and "tasks:" in out and "papers:" in out
    assert cli("plan", "start", "eff", "2026-01-05")[0] == 0
    code, out, _ = cli("plan", "list", "--json")
    assert json.loads(out)[0]["start_date"] == "2026-01-05"
    code, _, err = cli("plan", "start", "eff", "next tuesday")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = cli("plan", "show", "nope")
    assert code == NotFound.exit_code and "no plan 'nope'" in err


def test_plan_help_lists_every_subcommand(cli):
    code, out, _ = cli("plan", "--help")
    assert code == 0
    for name in ("import", "list", "show", "start", "unmatched", "from-collection"):
        assert f"  {name}" in out
