"""Importing into the store: one paper per work across variants and plans, stable item ids on
re-import, one transaction, several plans in one file."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from kb import papers
from kb.errors import BadInput
from kb.plans import importer, query

PLAN = """# Test plan

## Month 1

### Week 1-2
- **Papers**:
  - "TinyBERT: Distilling BERT for NLP Understanding"
  - "ALBERT: A Lite BERT for Self-supervised Learning"
  - "A Made-Up Paper About Nothing In Particular"
- **Practice**:
  - Reproduce the LoRA rank ablation

### Week 3-4
- **Papers**:
  - "TinyBERT: Distilling BERT for Natural Language Understanding"
"""


def _snapshot(store):
    return {t: [tuple(r) for r in store.all(f"SELECT * FROM {t} ORDER BY id")] for t in ("plans", "plan_items", "papers")}


def test_catalog_resolves_offline_and_variants_become_one_paper(store):
    result = importer.import_text(store, PLAN, "p")
    assert result.plans[0]["papers"] == 3
    tiny = papers.resolve(store, "1909.10351")
    assert tiny.title == "TinyBERT: Distilling BERT for Natural Language Understanding"
    assert tiny.year == 2020 and tiny.authors[0] == "Xiaoqi Jiao" and tiny.venue
    albert = papers.resolve(store, "ALBERT")
    assert albert.arxiv_id == "1909.11942"
    made_up = papers.resolve(store, "Made-Up Paper")
    assert made_up.arxiv_id is None and made_up.source == "plan"
    rows = store.all("SELECT paper_id FROM plan_items WHERE kind = 'paper' ORDER BY position")
    # TinyBERT is listed twice (two title variants, weeks 1-2 and 3-4): one item that keeps both places
    assert [r["paper_id"] for r in rows] == [tiny.id, albert.id, made_up.id]
    assert [p["week_start"] for p in json.loads(store.one("SELECT places FROM plan_items WHERE paper_id = ?", (tiny.id,))["places"])] == [1, 3]
    task = store.one("SELECT * FROM plan_items WHERE kind = 'task'")
    assert task["section"] == "Practice" and task["paper_id"] is None and task["week_start"] == 1


def test_the_same_papers_across_plans_are_not_duplicated(store, seeds_dir):
    importer.import_plan(store, next(seeds_dir.glob("000_*.txt")), name="six")
    importer.import_plan(store, next(seeds_dir.glob("003_*.txt")), name="kimi")
    importer.import_plan(store, next(seeds_dir.glob("004_*.txt")), name="slides")
    for arxiv in ("1706.03762", "1909.10351", "1909.11942", "2305.07759", "2208.07339", "1810.04805", "1503.02531"):
        assert store.scalar("SELECT count(*) FROM papers WHERE arxiv_id = ?", (arxiv,)) == 1
    # "TinyBERT ... NLP Understanding" (plan 3) and "... Natural Language Understanding" (plan 2) are one paper
    tiny = papers.resolve(store, "1909.10351")
    plans_citing = {r["name"] for r in store.all(
        "SELECT DISTINCT pl.name FROM plan_items i JOIN plans pl ON pl.id = i.plan_id WHERE i.paper_id = ?", (tiny.id,))}
    assert plans_citing == {"six-2", "six-3"}
    attention = papers.resolve(store, "1706.03762")
    n = store.scalar("SELECT count(DISTINCT plan_id) FROM plan_items WHERE paper_id = ?", (attention.id,))
    assert n == 4  # three plans of 000 and the Kimi plan
    assert store.scalar("SELECT count(*) FROM papers") == len({r[0] for r in store.all("SELECT title_norm FROM papers")})


def test_reimport_keeps_item_ids_adds_and_removes(store):
    importer.import_text(store, PLAN, "p")
    before = {r["item_key"]: r["id"] for r in store.all("SELECT item_key, id FROM plan_items")}
    changed = PLAN.replace(
        '  - "A Made-Up Paper About Nothing In Particular"\n', ""
    ).replace("- **Papers**:\n  - \"TinyBERT: Distilling BERT for NLP", "- **Papers**:\n  - \"LoRA: Low-Rank Adaptation of Large Language Models\"\n  - \"TinyBERT: Distilling BERT for NLP", 1)
    result = importer.import_text(store, changed, "p").plans[0]
    assert (result["created"], result["added"], result["removed"]) == (False, 1, 1)
    after = {r["item_key"]: r["id"] for r in store.all("SELECT item_key, id FROM plan_items")}
    kept = set(before) & set(after)
    assert len(kept) == len(before) - 1 and all(before[k] == after[k] for k in kept)
    assert store.scalar("SELECT count(*) FROM plans") == 1
    again = importer.import_text(store, changed, "p").plans[0]
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)


def test_a_failure_half_way_leaves_the_store_unchanged(store, monkeypatch):
    importer.import_text(store, PLAN, "p")
    before = _snapshot(store)
    calls = {"n": 0}
    real = papers.upsert

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return real(*args, **kwargs)

    monkeypatch.setattr(papers, "upsert", failing)
    with pytest.raises(sqlite3.OperationalError):
        importer.import_text(store, PLAN.replace("Made-Up", "Another Made-Up") + '  - "Yet Another Paper On Something"\n', "p")
    assert _snapshot(store) == before


def test_a_file_with_three_plans_gives_three_and_shrinks_cleanly(store, seeds_dir):
    text = next(seeds_dir.glob("000_*.txt")).read_text(encoding="utf-8")
    result = importer.import_text(store, text, "six")
    assert [p["name"] for p in result.plans] == ["six-1", "six-2", "six-3"]
    ids = [p["id"] for p in result.plans]
    first_two = text[: text.index("# 小规模高性能语言模型研究六个月详细计划")]
    result = importer.import_text(store, first_two, "six")
    assert [p["id"] for p in result.plans] == ids[:2] and result.removed_plans == ["six-3"]
    assert [r["name"] for r in store.all("SELECT name FROM plans ORDER BY id")] == ["six-1", "six-2"]


def test_start_date_from_dated_weeks_and_from_the_user(store, seeds_dir):
    importer.import_plan(store, next(seeds_dir.glob("001_*.txt")), name="diary", today=date(2025, 7, 1))
    row = query.resolve_plan(store, "diary")
    assert (row["start_date"], row["start_date_source"]) == ("2025-05-12", "plan")
    assert query.current_week(store, "diary", date(2025, 5, 26)) == 3
    assert query.current_week(store, "diary", date(2025, 5, 1)) is None
    importer.set_start(store, "diary", date(2025, 6, 2))
    importer.import_plan(store, next(seeds_dir.glob("001_*.txt")), name="diary", today=date(2025, 7, 1))
    assert query.resolve_plan(store, "diary")["start_date"] == "2025-06-02"  # the user's date survives a re-import


def test_no_papers_is_refused_and_changes_nothing(store):
    importer.import_text(store, PLAN, "p")
    before = _snapshot(store)
    with pytest.raises(BadInput, match="no recognisable papers"):
        importer.import_text(store, "# Plan\n\n## Week 1\n- **Practice**:\n  - Implement attention\n- 复习笔记\n", "p")
    assert _snapshot(store) == before
