"""Ticking off books, courses, tutorials and tasks: `kb plan done ITEM` (and --undo), counted in
the plan's progress, kept across a re-import of the plan file (the Plan screen's d: tests/tui)."""

from __future__ import annotations

import json

PLAN = """# 三个月计划

## 第1周

- **课程**：Stanford CS224N 的 Transformer 部分
- **书籍**：《Natural Language Processing with Transformers》
- **论文**："Attention Is All You Need"
- **任务**：用 PyTorch 实现一个多头自注意力层
"""


def _import(cli, tmp_path):
    path = tmp_path / "plan.md"
    path.write_text(PLAN, encoding="utf-8")
    code, out, err = cli("plan", "import", str(path))
    assert code == 0, err
    return path


def test_done_counts_and_survives_reimport(cli, tmp_path):
    path = _import(cli, tmp_path)
    code, out, _ = cli("plan", "done", "CS224N", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] == "course" and data["changed"] and data["progress"] == {"items": 3, "done": 1}
    code, out, _ = cli("plan", "done", "多头自注意力")
    assert code == 0 and "2/3 books, courses and tasks done" in out
    code, out, _ = cli("plan", "show")
    assert "2/3 books, courses and tasks done" in out and "[x] Stanford CS224N" in out
    assert cli("plan", "import", str(path))[0] == 0  # the file's boxes are still empty
    code, out, _ = cli("plan", "list", "--json")
    assert json.loads(out)[0]["items_done"] == {"items": 3, "done": 2}
    code, out, _ = cli("plan", "done", "CS224N", "--undo", "--json")
    assert json.loads(out)["progress"]["done"] == 1


def test_done_bad_items(cli, tmp_path):
    _import(cli, tmp_path)
    code, _, err = cli("plan", "done", "nothing like this")
    assert code == 3 and err.startswith("error: no plan item matches")
    code, _, err = cli("plan", "done", "Transformer")  # the course and the book
    assert code == 4 and "matches 2 plan items" in err
    code, _, err = cli("plan", "done", "CS224N", "--plan", "nope")
    assert code == 3 and "no plan 'nope'" in err
