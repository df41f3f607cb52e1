"""The generated PDFs are real papers to the rest of the tool: text, sections, a vector figure,
a table, a reference list naming the other demo papers, and Chinese text to search."""

from __future__ import annotations

import re

import pymupdf
import pytest

from kb.demo import corpus
from kb.demo.render import FOOTER, render


def _flat(text: str) -> str:
    return " ".join(text.split())


def _text(path) -> list[str]:
    with pymupdf.open(path) as doc:
        return [page.get_text() for page in doc]


@pytest.mark.parametrize("arxiv_id", sorted(corpus.by_arxiv()))
def test_pdf_has_title_block_sections_figure_and_table(rendered, arxiv_id):
    paper = corpus.by_arxiv()[arxiv_id]
    with pymupdf.open(rendered[arxiv_id]) as doc:
        assert 1 <= doc.page_count <= 4
        pages = [page.get_text() for page in doc]
        drawings = sum(len(page.get_drawings()) for page in doc)
        assert doc.metadata["title"] == paper.title
    first = _flat(pages[0])
    assert paper.title in first
    assert f"arXiv:{arxiv_id}" in first
    assert paper.authors[0] in first
    whole = _flat(" ".join(pages))
    assert "Abstract" in first
    for number, title in enumerate(["Introduction", "Method", "Experiments", "Conclusion"], start=1):
        assert f"{number} {title}" in whole
    assert whole.index("1 Introduction") < whole.index("4 Conclusion") < whole.index("References")
    assert "Figure 1: " + _flat(paper.figure.caption)[:40] in whole
    assert "Table 1: " + _flat(paper.table.caption)[:40] in whole
    assert all(cell in whole for cell in paper.table.rows[-1])
    # A chart or diagram is vector shapes: axes and bars, or boxes and arrows, plus table rules.
    assert drawings >= 5
    assert all(FOOTER in page for page in pages)


def test_reference_lists_name_the_cited_demo_papers(rendered):
    papers = corpus.by_arxiv()
    edges = 0
    for arxiv_id, path in rendered.items():
        whole = _flat(" ".join(_text(path)))
        references = whole[whole.index("References"):]
        for cited in papers[arxiv_id].cites:
            assert _flat(papers[cited].title) in references, (arxiv_id, cited)
            assert f"arXiv:{cited}" in references
            edges += 1
        numbered = re.findall(r"\[(\d+)\] ", references)
        assert numbered == [str(n) for n in range(1, len(papers[arxiv_id].cites) + len(papers[arxiv_id].external_refs) + 1)]
    assert edges == sum(len(p.cites) for p in papers.values())


def test_chinese_abstracts_and_unicode_names_survive_extraction(rendered):
    lora = _flat(" ".join(_text(rendered["2106.09685"])))
    assert "低秩适配" in lora and "ΔW = BA" in lora
    kd = _flat(" ".join(_text(rendered["1503.02531"])))
    assert "摘要" in kd and "知识蒸馏" in kd
    assert "Łukasz Kaiser" in _flat(_text(rendered["1706.03762"])[0])
    assert "Christopher Ré" in _flat(_text(rendered["2205.14135"])[0])
    assert "α_N = 0.076" in _flat(" ".join(_text(rendered["2001.08361"])))


def test_figure_is_drawn_above_its_caption(rendered):
    with pymupdf.open(rendered["1810.04805"]) as doc:
        for page in doc:
            hits = page.search_for("Figure 1:")
            if hits:
                caption_top = hits[0].y0
                above = [d for d in page.get_drawings() if d["rect"].y1 <= caption_top + 1]
                bars = [item for d in above for item in d["items"] if item[0] == "re"]
                axes = [item for d in above for item in d["items"] if item[0] == "l"]
                assert len(bars) == 5 and len(axes) == 2
                break
        else:
            pytest.fail("no Figure 1 caption")


def test_rendering_is_reproducible_byte_for_byte():
    library = corpus.by_arxiv()
    paper = library["2305.14314"]
    assert render(paper, library) == render(paper, library)
