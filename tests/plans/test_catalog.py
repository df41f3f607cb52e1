"""The offline catalog: well-formed facts, certain arXiv ids, and resolution of title variants."""

from __future__ import annotations

import re
import unicodedata

import pytest

from kb import catalog


def test_entries_are_well_formed_and_unique():
    entries = catalog.entries()
    assert 100 <= len(entries) <= 250
    ids = [e.arxiv_id for e in entries if e.arxiv_id]
    assert len(ids) == len(set(ids))
    assert len({e.norm for e in entries}) == len(entries)
    for e in entries:
        assert e.title and e.authors and 1950 < (e.year or 0) < 2030 and e.venue, e
        assert e.arxiv_id is None or re.fullmatch(r"\d{4}\.\d{4,5}", e.arxiv_id), e


def test_titles_agree_with_the_ten_real_pdfs(papers_dir):
    import pymupdf as fitz

    for pdf in sorted(papers_dir.glob("*.pdf")):
        arxiv = pdf.stem
        entry = catalog.lookup(arxiv_id=arxiv)
        assert entry is not None, arxiv
        with fitz.open(pdf) as doc:
            # ligatures (ﬁ), small caps titles and words broken at line ends ("LAN-\nGUAGE")
            first_page = unicodedata.normalize("NFKC", doc[0].get_text()).replace("-\n", "").lower()
        words = re.findall(r"[a-z0-9]+", entry.title.lower())
        page_words = set(re.findall(r"[a-z0-9]+", first_page))
        missing = [w for w in words if w not in page_words]
        assert not missing, f"{arxiv}: {entry.title!r} words not on page 1: {missing}"


@pytest.mark.parametrize("variant,arxiv", [
    ("TinyBERT: Distilling BERT for NLP Understanding", "1909.10351"),
    ("Parameter Efficient Transfer Learning for Natural Language Processing", "1902.00751"),
    ("ALBERT: A Lite BERT for Self-supervised Learning", "1909.11942"),
    ("TinyStories: How Small Can LMs Be and Still Speak Coherent English?", "2305.07759"),
    ("Phi-1: Textbooks Are All You Need", "2306.11644"),
    ("BitFit: Simple Parameter-efficient Fine-tuning for Transformers", "2106.10199"),
    ("GPTQ: Accurate Post-Training Quantization for GPT Models", "2210.17323"),
    ("P-Tuning: Prompt Tuning Can Be Comparable to Fine-tuning Across Scales and Tasks", "2110.07602"),
    ("attention is all you need.", "1706.03762"),
    ("Fitnets: Hints for thin deep nets", "1412.6550"),
    ("LLM.int8(): 8-bit Matrix Multiplication for Transformers", "2208.07339"),
])
def test_variants_resolve(variant, arxiv):
    entry = catalog.lookup(title=variant)
    assert entry is not None and entry.arxiv_id == arxiv


@pytest.mark.parametrize("title", [
    "SparseBERT: Rethinking the Importance of Individual Neurons",
    "Efficient Inference on CPUs for Language Models",
    "Knowledge Distillation from Large Language Models",
    "Parameter-Efficient Transfer Learning with Something Else Entirely",
])
def test_unknown_papers_do_not_resolve(title):
    assert catalog.lookup(title=title) is None


def test_ids_win_and_conflicting_ids_do_not_match():
    assert catalog.lookup(arxiv_id="arXiv:2106.09685v2").title.startswith("LoRA")
    assert catalog.lookup(doi="https://doi.org/10.18653/v1/N19-1423").arxiv_id == "1810.04805"
    assert catalog.lookup(title="Attention Is All You Need", arxiv_id="2106.09685").title.startswith("LoRA")
    assert catalog.lookup(title="Attention Is All You Need", arxiv_id="2401.99999") is None
    assert catalog.alias_title("Flash Attention").startswith("FlashAttention")
    assert catalog.alias_title("flashattention") == catalog.alias_title("FlashAttention")
