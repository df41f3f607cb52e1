"""Issue 13 item 6, found in a first week of real use: a second file with the same name replaced
the first plan silently; a reference listed twice was two items; `kb plan unmatched` said every
paper was matched when no Zotero library was connected at all."""

from __future__ import annotations

import json

import pytest

from kb.errors import BadInput
from kb.plans import importer, query

PLAN_A = "# Plan A\n\n## Week 1\n- **Papers**:\n  - \"Attention Is All You Need\"\n"
PLAN_B = "# Plan B\n\n## Week 1\n- **Papers**:\n  - \"LoRA: Low-Rank Adaptation of Large Language Models\"\n"


def _two_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "plan.md", tmp_path / "b" / "plan.md"
    a.write_text(PLAN_A, encoding="utf-8")
    b.write_text(PLAN_B, encoding="utf-8")
    return a, b


def test_a_second_file_with_the_same_name_does_not_replace_the_first(store, tmp_path):
    a, b = _two_files(tmp_path)
    importer.import_plan(store, a)
    with pytest.raises(BadInput, match="already exists, imported from") as err:
        importer.import_plan(store, b)
    assert "--name" in err.value.hint and "--replace" in err.value.hint
    [row] = store.all("SELECT * FROM plans")
    assert row["title"] == "Plan A"
    # named apart, both are kept; re-importing the first file still updates it in place
    importer.import_plan(store, b, name="plan-b")
    assert [r["name"] for r in store.all("SELECT name FROM plans ORDER BY id")] == ["plan", "plan-b"]
    assert importer.import_plan(store, a).plans[0]["created"] is False


def test_replace_takes_the_name_over(store, tmp_path):
    a, b = _two_files(tmp_path)
    importer.import_plan(store, a)
    importer.import_plan(store, b, replace=True)
    [row] = store.all("SELECT * FROM plans")
    assert row["title"] == "Plan B" and row["source_path"] == str(b.resolve())


def test_the_cli_refuses_with_one_line_and_exit_2(cli, tmp_path):
    a, b = _two_files(tmp_path)
    assert cli("plan", "import", str(a))[0] == 0
    code, out, err = cli("plan", "import", str(b))
    assert code == 2 and err.startswith("error: a plan named 'plan' already exists") and "hint:" in err
    assert cli("plan", "import", str(b), "--replace")[0] == 0


def test_a_reference_listed_twice_is_one_item_with_both_places(store):
    text = ("# Course\n\n## Chapter 1\n\n- **参考文献**:\n  - Hinton, G., Vinyals, O., & Dean, J. (2015). Distilling the knowledge "
            "in a neural network. arXiv preprint arXiv:1503.02531.\n\n## Chapter 2\n\n- **参考文献**:\n  - Hinton, G., Vinyals, O., "
            "& Dean, J. (2015). Distilling the knowledge in a neural network. arXiv preprint arXiv:1503.02531.\n"
            "  - \"Distilling the Knowledge in a Neural Network\"\n")
    importer.import_text(store, text, "course")
    rows = store.all("SELECT * FROM plan_items WHERE kind = 'paper'")
    assert len(rows) == 1
    places = json.loads(rows[0]["places"])
    assert [p["line"] for p in places] == [6, 11, 12]
    assert [p["outline"][-1] for p in places] == ["Chapter 1", "Chapter 2", "Chapter 2"]
    tree = query.plan_tree(store, "course")
    [item] = [i for p in tree["phases"] for w in p["weeks"] for i in w["items"] if i["kind"] == "paper"]
    assert len(item["places"]) == 3


def test_seed_004_has_each_reference_once(seed_path):
    [plan] = importer.parse_text(seed_path("004").read_text(encoding="utf-8"))
    titles = [i.title.lower() for i in plan.papers]
    assert len(titles) == 20
    mixed = next(i for i in plan.papers if i.title.lower().startswith("mixed precision"))
    assert len(mixed.places) == 3  # cited in three chapters of the outline


def test_unmatched_without_zotero_says_so(cli, store):
    importer.import_text(store, PLAN_A, "a")
    code, out, err = cli("plan", "unmatched")
    assert code != 0 and "no Zotero library is connected" in err and "kb zotero setup" in err
    assert "Every plan paper is matched" not in out


def test_plan_show_gives_the_outline_places_and_reasons(cli, seed_path):
    assert cli("plan", "import", str(seed_path("004")), "--name", "course")[0] == 0
    code, out, _ = cli("plan", "show", "course", "--why")
    assert code == 0
    lines = out.splitlines()
    # chapters as headings, sections under them, in the order of the file
    assert lines.index("参数剪枝技术") < lines.index("知识蒸馏技术") < lines.index("模型量化技术")
    assert "  参数剪枝的基本概念" in lines
    assert "Not scheduled" not in out
    assert out.count("han2015learning") == 1 and "listed 2 times" in out
    assert "why: a reference (authors, year, title, venue)" in out
    tree = json.loads(cli("plan", "show", "course", "--json")[1])
    assert [p["label"] for p in tree["phases"]][:2] == ["低资源场景的挑战与应对策略", "参数剪枝技术"]
