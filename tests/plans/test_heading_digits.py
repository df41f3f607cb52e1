"""Digits from other scripts in month and week headings.

"²" passes str.isdigit() but int() refuses it, so `weeks.cn_number` raised on it. The headings'
patterns use \\d, which matches only decimal digits (of any script), so a superscript heading
never reached it through `kb plan import`; fullwidth ("第３周", common in Chinese plans) and
Arabic-Indic ("٣") digits did, and are read as the numbers they are.
"""

from __future__ import annotations

from kb.plans import importer, weeks

PLAN = """\
# 计划

## 第²周

- "Attention Is All You Need" (arXiv:1706.03762)

## Week ²

- arXiv:2106.09685 LoRA

## Month ³

- arXiv:1810.04805 BERT

## 第３周：量化

- arXiv:1503.02531 Distilling the Knowledge in a Neural Network

## Week ٣-٤

- arXiv:2305.14314 QLoRA
"""


def test_cn_number_refuses_digits_int_cannot_read_and_reads_other_scripts_decimals():
    # Raised ValueError before: "²".isdigit() is true, int("²") is not a number.
    assert [weeks.cn_number(t) for t in ("²", "³", "①", "1²")] == [None, None, None, None]
    assert [weeks.cn_number(t) for t in ("３", "１２", "٣", "7")] == [3, 12, 3, 7]


def test_superscript_headings_are_text_and_fullwidth_ones_are_weeks():
    assert [weeks.parse(h) for h in ("第²周", "Week ²", "Month ³", "第²阶段")] == [None, None, None, None]
    fullwidth = weeks.parse("第３周：量化")
    assert (fullwidth.level, fullwidth.week_start, fullwidth.week_end, fullwidth.rest) == ("week", 3, 3, "量化")
    month = weeks.parse("第３个月")
    assert (month.level, month.month_start) == ("month", 3)
    arabic = weeks.parse("Week ٣-٤")
    assert (arabic.week_start, arabic.week_end) == (3, 4)


def test_a_plan_with_such_headings_imports_and_places_its_papers(store, tmp_path, cli):
    path = tmp_path / "digits.md"
    path.write_text(PLAN, encoding="utf-8")
    code, out, err = cli("plan", "import", str(path))
    assert code == 0 and "Traceback" not in out + err, err
    rows = {r["arxiv_id"]: r for r in store.all(
        "SELECT p.arxiv_id, i.week_start, i.week_end, i.week_label FROM plan_items i JOIN papers p ON p.id = i.paper_id")}
    assert len(rows) == 5
    # A superscript is not a week number: those papers have no week, their heading kept as written.
    for arxiv in ("1706.03762", "2106.09685", "1810.04805"):
        assert rows[arxiv]["week_start"] is None
    assert (rows["1503.02531"]["week_start"], rows["1503.02531"]["week_end"]) == (3, 3)
    assert (rows["2305.14314"]["week_start"], rows["2305.14314"]["week_end"]) == (3, 4)
    code, out, err = cli("plan", "show", "digits", "--week", "３")
    assert code == 0 and "Distilling" in out and "QLoRA" in out and "LoRA: Low-Rank" not in out
    code, out, err = cli("plan", "show", "digits")
    assert code == 0 and "第²周" in out and "Week ²" in out
