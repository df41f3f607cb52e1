"""`kb today`: the read model the TUI's Today screen shows, for scripts."""

from __future__ import annotations

import json

from tests.tui.conftest import build_library


def test_kb_today_json(cli, home):
    ids = build_library(home)
    code, out, err = cli("today", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["papers"] == 3
    assert data["due"] == 2 and {c["front"] for c in data["due_cards"]} >= {"What does LoRA freeze?"}
    week = data["week"]
    # The test plan has no start date: its first week stands in, and says so.
    assert week["plan"] == "llm" and week["week"] == 1 and week["outside_schedule"] is True
    items = {i["title"] or i["text"]: i for i in week["items"]}
    assert items["LoRA: Low-Rank Adaptation of Large Language Models"]["status"] == "unread"
    assert "复现简单的LoRA微调实验" in items
    assert [s["id"] for s in data["read_next"]] and all(s["reason"] for s in data["read_next"])
    assert ids["zh"] in [s["id"] for s in data["read_next"]]
    assert data["runs"] == []


def test_kb_today_text_and_empty_library(cli, home):
    code, out, err = cli("today")
    assert code == 0, err
    assert "library is empty" in out
    build_library(home)
    code, out, err = cli("today")
    assert code == 0, err
    assert "cards due: 2" in out and "This week · LLM 学习计划 · week 1" in out and "Read next" in out and "no runs yet" in out
