"""The bilingual demo plan, imported with the plan importer, links to the demo papers."""

from __future__ import annotations

import json

from kb.demo import corpus


def _items(store, kind):
    return store.all(
        "SELECT i.* FROM plan_items i JOIN plans p ON p.id = i.plan_id WHERE p.name = 'demo' AND i.kind = ? ORDER BY position",
        (kind,),
    )


def test_plan_imports_with_the_expected_counts(built):
    _, store, result = built
    assert result.plan == "demo"
    plan = store.one("SELECT * FROM plans WHERE name = 'demo'")
    assert plan["lang"] == "zh"
    assert "示例" in plan["title"]
    paper_items = _items(store, "paper")
    # LoRA is listed twice (once in Chinese, once in the English section): one item that keeps both places
    assert len(paper_items) == 12
    lora = next(i for i in paper_items if store.scalar("SELECT arxiv_id FROM papers WHERE id = ?", (i["paper_id"],)) == "2106.09685")
    assert len(json.loads(lora["places"])) == 2
    linked = {store.scalar("SELECT arxiv_id FROM papers WHERE id = ?", (i["paper_id"],)) for i in paper_items}
    assert linked == set(corpus.by_arxiv())
    assert len(_items(store, "task")) == 7
    assert len(_items(store, "book")) == 2
    assert store.scalar("SELECT COUNT(*) FROM papers") == 12  # the plan added no thinner duplicates


def test_plan_keeps_months_weeks_and_the_lora_task(built):
    _, store, _ = built
    tasks = {i["text"]: i for i in _items(store, "task")}
    lora_task = tasks["复现LoRA微调实验"]
    assert lora_task["month_start"] == 2 and lora_task["section"] == "编程实践"
    english = [i for i in _items(store, "paper") if i["section"] == "Papers"]
    assert len(english) == 1 and all(i["month_start"] == 3 for i in english)
    # LoRA's second listing, in the English section, is kept as a place of its first item
    places = [json.loads(i["places"]) for i in _items(store, "paper") if i["places"]]
    assert [(p["section"], p["week_start"] is not None) for p in places[0]][1] == ("Papers", True)
    weeks: dict[str, int] = {}
    for item in _items(store, "paper"):
        arxiv_id = store.scalar("SELECT arxiv_id FROM papers WHERE id = ?", (item["paper_id"],))
        weeks.setdefault(arxiv_id, item["week_start"])  # first listing: LoRA comes back in month 3
    assert weeks["1706.03762"] < weeks["2106.09685"] < weeks["1503.02531"]
