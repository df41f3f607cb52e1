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


def test_kb_today_runs_name_the_paper_by_its_title(cli, home):
    """The runs column shows the paper's title (escapes stripped, cut to the column) as the plan and
    read-next columns do, not its arXiv id; JSON keeps the id and adds the title. A run of a paper
    not in the library is named by the reproduction's own paper title."""
    from kb import papers
    from kb.store import Store
    from reproductions import records, registry

    ids = build_library(home)
    with Store.open(home) as store:
        with store.tx():  # a title from Zotero that carries a terminal escape
            store.execute("UPDATE papers SET title = ? WHERE id = ?",
                          ("LoRA: Low-Rank \x1b]0;pwned\x07Adaptation of Large \x1b[31mLanguage\x1b[0m Models", ids["lora"]))
        lora = records.create(store, registry.get("lora"), "tiny", {}, 0, "cpu")
        records.finish(store, lora, status="passed", passed=True)
        kd = records.create(store, registry.get("kd"), "tiny", {}, 0, "cpu")  # Hinton et al. is not in this library
        records.finish(store, kd, status="cancelled")
        assert papers.resolve(store, "2106.09685").id == ids["lora"]
    code, out, err = cli("today")
    assert code == 0, err
    runs = out[out.index("Recent runs"):]
    assert "\x1b" not in runs and "\x07" not in runs
    assert "LoRA: Low-Rank Adaptation of Large" in runs and "2106.09685" not in runs
    assert "Distilling the Knowledge in a" in runs and "1503.02531" not in runs
    code, out, err = cli("today", "--json")
    by_id = {r["id"]: r for r in json.loads(out)["runs"]}
    assert by_id[lora]["paper"] == "2106.09685" and by_id[lora]["paper_id"] == ids["lora"]
    assert by_id[lora]["paper_title"].startswith("LoRA: Low-Rank \x1b]0;pwned")  # JSON keeps the data as it is
    assert by_id[kd]["paper"] == "1503.02531" and by_id[kd]["paper_title"] == registry.get("kd").paper_title


def test_today_follows_the_plan_the_user_chose(cli, home, tmp_path):
    """The seeds' first file holds three plans and a student imports a course outline beside
    them: Today showed the first plan imported, whichever the student followed."""
    build_library(home)
    other = tmp_path / "course.md"
    other.write_text("# 课程大纲\n## 第1周\n- Attention Is All You Need (arXiv:1706.03762)\n", encoding="utf-8")
    assert cli("plan", "import", str(other), "--name", "course")[0] == 0
    code, out, _ = cli("today")
    assert "This week · LLM 学习计划" in out and "the first of 2 plans: `kb plan use PLAN` follows another" in out
    code, out, err = cli("plan", "use", "cour", "--json")
    assert code == 0, err
    assert json.loads(out) == {"plan": "course", "title": "课程大纲"}
    week = json.loads(cli("today", "--json")[1])["week"]
    assert week["plan"] == "course" and week["chosen"] and [i["title"] for i in week["items"]] == ["Attention Is All You Need"]
    assert "the first of" not in cli("today")[1]
    # The plan followed is removed: the first plan again, no error.
    assert cli("plan", "remove", "course", "--yes")[0] == 0
    assert json.loads(cli("today", "--json")[1])["week"]["plan"] == "llm"
    code, _, err = cli("plan", "use", "no-such-plan")
    assert code == 3 and "no plan 'no-such-plan'" in err


def test_a_reading_list_without_weeks_shows_what_is_next_to_read(cli, home, tmp_path):
    """Seed 004 is a reference list with no weeks: Today showed "week 1 (today is outside its
    schedule)" over an empty table."""
    plan = tmp_path / "list.md"
    plan.write_text("# 低资源场景下的大模型优化技术\n## 参考文献\n" + "".join(
        f"{n}. {title}. arXiv:{arxiv}\n" for n, (title, arxiv) in enumerate((
            ("Attention Is All You Need", "1706.03762"), ("LoRA: Low-Rank Adaptation of Large Language Models", "2106.09685"),
            ("Distilling the Knowledge in a Neural Network", "1503.02531")), start=1)), encoding="utf-8")
    assert cli("plan", "import", str(plan), "--name", "list")[0] == 0
    week = json.loads(cli("today", "--json")[1])["week"]
    assert week["unscheduled"] and week["week"] is None and "no weekly schedule" in week["title"]
    assert [i["title"] for i in week["items"]] == ["Attention Is All You Need", "LoRA: Low-Rank Adaptation of Large Language Models",
                                                 "Distilling the Knowledge in a Neural Network"]
    assert cli("status", "1706.03762", "read")[0] == 0
    week = json.loads(cli("today", "--json")[1])["week"]
    assert [i["title"] for i in week["items"]][0] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert "no weekly schedule: next to read" in cli("today")[1]
