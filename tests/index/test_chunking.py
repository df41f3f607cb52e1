"""Chunks fit the model, overlap, keep their provenance and skip the reference list."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.index.chunking import chunk_document
from kb.index.embedder import Embedder
from kb.pdf.model import Document, PageText, PdfMetadata, Section


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()  # the tokenizer alone: no model is loaded by chunking


def _doc(pages: list[str], sections: list[Section] | None = None) -> Document:
    return Document(
        path="synthetic.pdf", content_hash="0" * 64, page_count=len(pages),
        pages=[PageText(i + 1, text) for i, text in enumerate(pages)], metadata=PdfMetadata(), sections=sections or [],
    )


SENTENCE = "Low-rank adaptation freezes the pretrained weights and trains a pair of small matrices per layer. "


def test_chunks_fit_the_model_and_overlap(embedder):
    doc = _doc([SENTENCE * 60])
    chunks = chunk_document(doc, embedder.token_offsets, max_tokens=200, overlap=40)
    assert len(chunks) >= 5
    assert embedder.max_tokens == 254  # all-MiniLM-L6-v2 reads 256 word pieces with [CLS] and [SEP]
    for chunk in chunks:
        assert len(embedder.token_offsets(chunk.text)) <= 200
        assert doc.pages[0].text[chunk.char_start:chunk.char_end] == chunk.text
    for a, b in itertools.pairwise(chunks):
        assert b.char_start < a.char_end, "consecutive chunks share an overlap"
        assert b.char_start > a.char_start
    # Windows end on sentence boundaries when one is near: every chunk but the last ends with a period.
    assert all(c.text.endswith(".") for c in chunks[:-1])
    assert [c.seq for c in chunks] == list(range(len(chunks)))


def test_provenance_pages_and_sections(embedder):
    intro = "1 Introduction " + "Distillation transfers knowledge from a large model to a small one. " * 10
    method = "2 Method " + "We raise the temperature of the softmax to soften the targets. " * 10
    refs = "References [1] G. Hinton. Distilling the knowledge in a neural network. 2015. " * 5
    sections = [
        Section("1 Introduction", 1, 1, 1),
        Section("2 Method", 1, 1, 2),
        Section("References", 1, 3, 3, kind="references"),
    ]
    doc = _doc([intro + " " + method, "More of the method. " * 30, refs], sections)
    chunks = chunk_document(doc, embedder.token_offsets, max_tokens=64, overlap=8)
    by_page = {p: {c.section for c in chunks if c.page == p} for p in (1, 2, 3)}
    assert by_page[1] == {"1 Introduction", "2 Method"}
    assert by_page[2] == {"2 Method"}, "a section open at the top of the page carries over"
    assert by_page[3] == set(), "the reference list is not chunked"
    method_chunks = [c for c in chunks if c.page == 1 and c.section == "2 Method"]
    assert method_chunks[0].text.startswith("2 Method")
    assert not any("temperature" in c.text for c in chunks if c.section == "1 Introduction")


def test_heading_right_before_subsection_is_not_a_chunk_of_its_own(embedder):
    text = "3 Experiments 3.1 Setup " + "We train for ten epochs with a batch size of thirty-two examples. " * 8
    sections = [Section("3 Experiments", 1, 1, 1), Section("3.1 Setup", 2, 1, 1)]
    chunks = chunk_document(_doc([text], sections), embedder.token_offsets, max_tokens=200, overlap=20)
    assert len(chunks) == 1
    assert chunks[0].text.startswith("3 Experiments") and chunks[0].section == "3.1 Setup"


def test_chinese_text_is_chunked_within_limits(embedder):
    text = "知识蒸馏把大模型的知识迁移到小模型。" * 80
    chunks = chunk_document(_doc([text]), embedder.token_offsets, max_tokens=100, overlap=10)
    assert len(chunks) > 3
    assert all(len(embedder.token_offsets(c.text)) <= 100 for c in chunks)


def test_empty_pages_give_no_chunks(embedder):
    assert chunk_document(_doc(["", "   ", "\n"]), embedder.token_offsets) == []


@settings(max_examples=40, deadline=None)
@given(words=st.lists(st.sampled_from(["attention.", "low-rank", "adapter", "量化", "x", "FlashAttention", "the", "1e-4,"]), min_size=1, max_size=900),
       max_tokens=st.integers(8, 120), overlap=st.integers(0, 60))
def test_every_token_is_covered_and_no_chunk_is_too_long(embedder, words, max_tokens, overlap):
    text = " ".join(words)
    chunks = chunk_document(_doc([text]), embedder.token_offsets, max_tokens=max_tokens, overlap=overlap)
    spans = [s for s in embedder.token_offsets(text) if s[1] > s[0]]
    if len(spans) < 3:
        assert chunks == []
        return
    covered = set()
    for chunk in chunks:
        inside = [s for s in spans if s[0] >= chunk.char_start and s[1] <= chunk.char_end]
        assert len(inside) <= max_tokens
        covered.update(inside)
    assert covered == set(spans)
