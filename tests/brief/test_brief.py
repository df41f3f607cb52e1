"""Briefs built from real PDFs with notes, runs and reviews; every format checked by its content."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from kb import papers
from kb.brief.period import parse_since
from kb.brief.writer import write_brief
from kb.errors import BadInput

NOW = datetime.now(timezone.utc)

LORA_NOTE = """---
citekey: {citekey}
status: read
---
# LoRA

## Problem
Full fine-tuning of GPT-3 175B needs a copy of every weight per task.

## Method
Freeze W0 and learn a low-rank update BA with rank r, applied to Wq and Wv.

## Key results

## Limitations

## Questions
Why only the query and value projections?

## Connections
[[houlsby2019parameter]]
"""

ZH_NOTE = """---
citekey: {citekey}
---
## Problem
知识蒸馏：用大模型的软标签训练小模型。

## Method
温度 T 软化 softmax，损失乘以 T²。
"""


@pytest.fixture
def library(store, home, papers_dir):
    lora, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685",
                            year=2021, authors=["Edward J. Hu", "Yelong Shen", "Phillip Wallis", "Zeyuan Allen-Zhu"])
    papers.add_attachment(store, lora.id, str(papers_dir / "2106.09685.pdf"))
    distil, _ = papers.upsert(store, title="DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter",
                              arxiv_id="1910.01108", year=2019, authors=["Victor Sanh"],
                              abstract="As Transfer Learning from large-scale pre-trained models becomes more prevalent in NLP, operating these large models on the edge remains challenging. In this work, we propose a method to pre-train a smaller general-purpose language representation model. We leverage knowledge distillation during the pre-training phase and show that it is possible to reduce the size of a BERT model by 40%.")
    papers.add_attachment(store, distil.id, str(papers_dir / "1910.01108.pdf"))
    kd, _ = papers.upsert(store, title="Distilling the Knowledge in a Neural Network", arxiv_id="1503.02531", year=2015,
                          authors=["Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"])
    old, _ = papers.upsert(store, title="Attention Is All You Need", arxiv_id="1706.03762", year=2017)
    recent = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for p in (lora, distil, kd):
        papers.set_status(store, p.id, "read", at=recent)
    papers.set_status(store, old.id, "read", at=(NOW - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    notes = home / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / f"{lora.citekey}.md").write_text(LORA_NOTE.format(citekey=lora.citekey), encoding="utf-8")
    (notes / f"{kd.citekey}.md").write_text(ZH_NOTE.format(citekey=kd.citekey), encoding="utf-8")
    return {"lora": lora, "distil": distil, "kd": kd, "old": old}


def _write(store, home, fmt, tmp_path, **kw):
    return write_brief(store, home, {"notes": {"dir": ""}}, since=parse_since("7d"), fmt=fmt,
                       out=tmp_path / f"brief.{fmt if fmt != 'slides' else 'slides.md'}", **kw)


def test_markdown_brief_has_own_notes_quotes_figures_and_gaps(store, home, library, tmp_path):
    written = _write(store, home, "md", tmp_path)
    text = written.path.read_text(encoding="utf-8")
    ids = [p.paper_id for p in written.brief.papers]
    assert set(ids) == {library["lora"].id, library["distil"].id, library["kd"].id}  # not the paper read 40 days ago
    assert "## LoRA: Low-Rank Adaptation of Large Language Models" in text
    assert "Freeze W0 and learn a low-rank update BA" in text  # the user's own method section
    assert "Why only the query and value projections?" in text
    # DistilBERT has no note: one line of its abstract, marked as the paper's words, never the whole abstract
    distil = next(p for p in written.brief.papers if p.paper_id == library["distil"].id)
    assert distil.sections["problem"].is_quote and "we propose" not in distil.sections["problem"].text
    assert distil.sections["problem"].text.startswith("As Transfer Learning from large-scale pre-trained models")
    assert "(paper)" in text and "no_note" in distil.notices and "No note for this paper yet." in text
    assert distil.sections["questions"] is None and "Not written in the note yet." not in text
    # 40% smaller: a sentence with a measured number is a key result
    assert any("40%" in s for s, _ in distil.key_numbers)
    # The KD paper has no PDF: the gap is stated, the brief is still written.
    kd = next(p for p in written.brief.papers if p.paper_id == library["kd"].id)
    assert "no_pdf" in kd.gaps and "No PDF is attached" in text
    assert "知识蒸馏" in text and "note_lang_zh" in kd.notices  # a Chinese note in an English brief says so
    # A key figure extracted from the real LoRA PDF (a small JPEG), referenced relative to the brief.
    lora = next(p for p in written.brief.papers if p.paper_id == library["lora"].id)
    assert lora.figure is not None and lora.figure.path.exists() and 3_000 < lora.figure.path.stat().st_size < 200_000
    assert lora.figure.path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert f"]({lora.figure.path.parent.name}/{lora.figure.path.name})" in text
    assert "No plan covers this period." in text


def test_slides_are_marp_without_an_empty_first_slide(store, home, library, tmp_path):
    written = _write(store, home, "slides", tmp_path)
    text = written.path.read_text(encoding="utf-8")
    assert text.startswith("---\nmarp: true\npaginate: true\n---\n\n# Group-meeting brief")
    slides = text.split("\n\n---\n\n")
    assert any("![h:300 " in s and "LoRA" in s for s in slides)
    assert all(s.strip() for s in slides)


def test_html_is_self_contained(store, home, library, tmp_path):
    written = _write(store, home, "html", tmp_path)
    text = written.path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "data:image/jpeg;base64," in text
    assert "<img src=\"brief_files" not in text and "DistilBERT" in text


def test_pptx_from_the_cli_takes_its_format_from_the_file_name(store, home, library, tmp_path, cli):
    from pptx import Presentation

    code, out, err = cli("brief", "--paper", "2106.09685", "-o", str(tmp_path / "talk.pptx"), "--json")
    assert code == 0, err
    assert json.loads(out)["format"] == "pptx" and json.loads(out)["pages"] >= 6
    prs = Presentation(str(tmp_path / "talk.pptx"))
    assert len(prs.slides) == json.loads(out)["pages"]
    code, out, err = cli("brief", "--format", "pdf", "-o", str(tmp_path / "talk.pptx"))
    assert code == 2 and "error: " in err and "talk.pptx" in err


def test_pdf_in_chinese_renders_both_languages(store, home, library, tmp_path):
    import pymupdf

    written = _write(store, home, "pdf", tmp_path, lang="zh")
    doc = pymupdf.open(written.path)
    assert doc.page_count == written.pages >= 2
    text = "".join(page.get_text() for page in doc)
    assert "组会汇报" in text and "知识蒸馏" in text
    assert "LoRA: Low-Rank Adaptation of Large Language Models" in " ".join(text.split())
    assert sum(len(p.get_images()) for p in doc) >= 2  # LoRA's key figure and results table
    pix = doc[0].get_pixmap(dpi=50)
    png = tmp_path / "page1.png"
    pix.save(png)
    assert png.stat().st_size > 2_000


def test_a_period_with_nothing_read_gives_a_short_brief(store, home, tmp_path, cli):
    from pptx import Presentation

    code, out, err = cli("brief", "--since", "3d", "-o", str(tmp_path / "empty.md"), "--json")
    assert code == 0, err
    assert json.loads(out)["papers"] == []
    assert "Nothing was read, noted or reproduced in this period." in (tmp_path / "empty.md").read_text(encoding="utf-8")
    code, out, err = cli("brief", "--since", "3d", "-o", str(tmp_path / "empty.pptx"))
    assert code == 0, err
    texts = [[sh.text_frame.text for sh in slide.shapes if sh.has_text_frame] for slide in Presentation(str(tmp_path / "empty.pptx")).slides]
    assert "Nothing was read, noted or reproduced in this period." in texts[0][-1]
    assert all(len(t) >= 2 for t in texts)  # a title and one line at least: no empty slide


def test_explicit_papers_and_bad_arguments(store, home, library, tmp_path, cli):
    code, out, err = cli("brief", "--paper", "2106.09685", "-o", str(tmp_path / "one.md"), "--json")
    assert code == 0, err
    assert [p["citekey"] for p in json.loads(out)["papers"]] == [library["lora"].citekey]
    code, out, err = cli("brief", "--since", "yesterday-ish")
    assert code != 0 and "cannot read the period" in err
    with pytest.raises(BadInput):
        parse_since("soon")


def test_reviews_in_the_period_are_counted_per_paper_and_for_the_week(store, home, library, tmp_path):
    from notes.review import rate, undo_last
    from notes.sync import sync_notes

    note = home / "notes" / f"{library['lora'].citekey}.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nWhat does LoRA freeze? :: the pretrained weights W0\n", encoding="utf-8")
    sync_notes(store, home, {"notes": {"dir": ""}})
    card = store.scalar("SELECT id FROM cards WHERE paper_id = ?", (library["lora"].id,))
    rate(store, card, 3, NOW - timedelta(days=1))
    rate(store, card, 4, NOW - timedelta(hours=2))
    rate(store, card, 1, NOW - timedelta(hours=1))
    undo_last(store, NOW - timedelta(minutes=30))  # an undone rating is not a review
    written = _write(store, home, "md", tmp_path)
    lora = next(p for p in written.brief.papers if p.paper_id == library["lora"].id)
    assert lora.cards_reviewed == 2 and written.brief.week.reviews == 2
    assert "Cards reviewed: 2" in written.path.read_text(encoding="utf-8")
