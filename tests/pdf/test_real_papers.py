"""Extraction of the ten real arXiv PDFs against facts written down by hand."""

from __future__ import annotations

import re

import pytest

from kb import titles

TITLES = {
    "1503.02531": "Distilling the Knowledge in a Neural Network",
    "1706.03762": "Attention Is All You Need",
    "1810.04805": "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    "1902.00751": "Parameter-Efficient Transfer Learning for NLP",
    "1910.01108": "DistilBERT, a distilled version of BERT: smaller, faster, cheaper and lighter",
    "2001.08361": "Scaling Laws for Neural Language Models",
    "2106.09685": "LoRA: Low-Rank Adaptation of Large Language Models",
    "2205.14135": "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
    "2208.07339": "LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale",
    "2305.14314": "QLoRA: Efficient Finetuning of Quantized LLMs",
}
PAGES = {"1503.02531": 9, "1706.03762": 15, "1810.04805": 16, "1902.00751": 13, "1910.01108": 5,
         "2001.08361": 30, "2106.09685": 26, "2205.14135": 34, "2208.07339": 20, "2305.14314": 26}
FIRST_AUTHOR = {"1706.03762": "Ashish Vaswani", "1902.00751": "Neil Houlsby", "2106.09685": "Edward Hu",
                "2205.14135": "Tri Dao", "2305.14314": "Tim Dettmers", "2001.08361": "Jared Kaplan"}

# (title, kind, start page, end page) for sections whose span was checked in the PDF.
SECTIONS = {
    "1706.03762": [("Abstract", "abstract", 1, 2), ("1 Introduction", "body", 2, 2), ("3 Model Architecture", "body", 2, 6),
                   ("7 Conclusion", "body", 10, 10), ("References", "references", 10, 15)],
    "2106.09685": [("Abstract", "abstract", 1, 1), ("1 Introduction", "body", 1, 2), ("4 Our Method", "body", 4, 5),
                   ("References", "references", 13, 16), ("A Large Language Models Still Need Parameter Updates", "appendix", 16, 17)],
    "1810.04805": [("1 Introduction", "body", 1, 2), ("3 BERT", "body", 3, 5), ("References", "references", 10, 12),
                   ("A Additional Details for BERT", "appendix", 12, 14)],
    "2305.14314": [("Abstract", "abstract", 1, 1), ("2 Background", "body", 3, 4), ("References", "references", 17, 22),
                   ("G Memory Footprint", "appendix", 26, 26)],
    "2205.14135": [("Abstract", "abstract", 1, 1), ("References", "references", 11, 17), ("E Full Experimental Results", "appendix", 26, 34)],
    "1503.02531": [("2 Distillation", "body", 2, 3), ("References", "references", 9, 9)],
}

# (arXiv id of the citing paper, fragment of the reference's title, year, arXiv id or None)
REFERENCES = [
    ("2305.14314", "low-rank adaptation of large language models", 2021, "2106.09685"),
    ("2305.14314", "parameter-efficient transfer learning for nlp", 2019, None),
    ("1810.04805", "attention is all you need", 2017, None),
    ("1910.01108", "pre-training of deep bidirectional transformers", 2018, None),
    ("1706.03762", "layer normalization", 2016, "1607.06450"),
    ("1902.00751", "a neural probabilistic language model", 2003, None),
    ("2001.08361", "high-dimensional dynamics of generalization error", 2017, "1710.03667"),
    ("2208.07339", "language models are few-shot learners", 2020, "2005.14165"),
]

CAPTIONS = [
    ("1706.03762", "Figure 1", 3, "The Transformer - model architecture"),
    ("1706.03762", "Table 2", 8, "The Transformer achieves better BLEU scores"),
    ("2106.09685", "Figure 1", 1, "Our reparametrization"),
    ("2001.08361", "Figure 1", 3, "Language modeling performance improves smoothly"),
    ("1503.02531", "Table 1", 5, ""),
]


@pytest.mark.parametrize("arxiv", sorted(TITLES))
def test_title_arxiv_id_and_pages(docs, arxiv):
    doc = docs[arxiv]
    assert titles.normalize(doc.metadata.title) == titles.normalize(TITLES[arxiv])
    assert doc.metadata.arxiv_id == arxiv
    assert doc.metadata.year == 2000 + int(arxiv[:2])
    assert doc.page_count == len(doc.pages) == PAGES[arxiv]
    assert len(doc.content_hash) == 64


def test_mixed_case_recovered_for_all_caps_title(docs):
    assert docs["2106.09685"].metadata.title == "LoRA: Low-Rank Adaptation of Large Language Models"


@pytest.mark.parametrize("arxiv", sorted(FIRST_AUTHOR))
def test_first_author(docs, arxiv):
    assert docs[arxiv].metadata.authors[0] == FIRST_AUTHOR[arxiv]


def test_lora_authors_split_from_one_line(docs):
    assert docs["2106.09685"].metadata.authors[:4] == ["Edward Hu", "Yelong Shen", "Phillip Wallis", "Zeyuan Allen-Zhu"]


def test_abstract_detected(docs):
    assert docs["2106.09685"].metadata.abstract.startswith("An important paradigm of natural language processing")
    assert docs["1706.03762"].metadata.abstract.startswith("The dominant sequence transduction models")


@pytest.mark.parametrize("arxiv", sorted(SECTIONS))
def test_sections_with_page_spans(docs, arxiv):
    found = {(s.title, s.kind, s.start_page, s.end_page) for s in docs[arxiv].sections}
    for expected in SECTIONS[arxiv]:
        assert expected in found, f"{expected} not in {sorted(found, key=lambda s: s[2])}"


@pytest.mark.parametrize("arxiv", sorted(TITLES))
def test_every_paper_has_introduction_and_references(docs, arxiv):
    kinds = [s.kind for s in docs[arxiv].sections]
    names = [re.sub(r"^\d+\s+", "", s.title).lower() for s in docs[arxiv].sections]
    assert "introduction" in names
    assert kinds.count("references") == 1
    assert all(s.start_page <= s.end_page for s in docs[arxiv].sections)


@pytest.mark.parametrize("citing,fragment,year,arxiv", REFERENCES)
def test_reference_entries(docs, citing, fragment, year, arxiv):
    refs = [r for r in docs[citing].references if r.title and fragment in r.title.lower()]
    assert refs, f"no reference titled like {fragment!r}"
    assert refs[0].year == year
    assert refs[0].arxiv_id == arxiv


def test_reference_counts_are_plausible(docs):
    counts = {k: len(d.references) for k, d in docs.items()}
    assert 8 <= counts["1503.02531"] <= 12
    assert 38 <= counts["1706.03762"] <= 42
    assert all(n >= 8 for n in counts.values()), counts


@pytest.mark.parametrize("arxiv,label,page,start", CAPTIONS)
def test_captions(docs, arxiv, label, page, start):
    match = [c for c in docs[arxiv].captions if c.label == label]
    assert match, [c.label for c in docs[arxiv].captions]
    assert match[0].page == page
    assert match[0].text.startswith(start)


def test_no_ligatures_and_mended_hyphenation(docs):
    for doc in docs.values():
        for page in doc.pages:
            assert not re.search("[\ufb00-\ufb06]", page.text)
    lora = docs["2106.09685"].pages[0].text
    assert "independent instances" in lora and "indepen-" not in lora  # "indepen-|dent" in the PDF
    assert "trainable parameters for downstream" in lora  # "pa-|rameters"
    assert "fine-tuning" in lora  # a real compound keeps its hyphen


def test_reading_order_two_columns(docs):
    bert = docs["1810.04805"].pages[0].text
    # Left column (abstract, introduction start) comes before the right column's text.
    assert bert.index("We introduce a new language representation model") < bert.index("There are two existing strategies")


def test_page_numbers_removed(docs):
    for arxiv in ("1706.03762", "2106.09685", "2305.14314"):
        for page in docs[arxiv].pages[1:5]:
            last = page.text.rstrip().splitlines()[-1].strip()
            assert last != str(page.number), (arxiv, page.number)


def test_extraction_time(extracted):
    times = {k: t for k, (_, t) in extracted.items()}
    assert max(times.values()) < 10, times


def test_first_figure_png(docs, papers_dir, tmp_path):
    from kb.pdf.figures import extract_first_figure

    out = extract_first_figure(papers_dir / "1706.03762.pdf", tmp_path / "fig.png", docs["1706.03762"])
    assert out is not None and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000
    import pymupdf

    pix = pymupdf.Pixmap(str(out))
    assert pix.width > 200 and pix.height > 300  # the tall encoder-decoder diagram


def test_no_figure_when_no_figure_caption(docs, papers_dir, tmp_path):
    from kb.pdf.figures import extract_first_figure

    assert extract_first_figure(papers_dir / "1503.02531.pdf", tmp_path / "none.png", docs["1503.02531"]) is None
