"""The lexical side's cost is bounded: FTS5 computes bm25 for every chunk an expression
matches, so an OR over common words scored most of a large library (50 ms at 50k chunks).

The library here is built so that the words' shares are known: "attention" in half the
chunks, "need" in a quarter, both together in 30, "zebra" in 3 and "giraffe" in 4."""

from __future__ import annotations

import pytest

from kb.index import lexical
from kb.search.hybrid import _lexical_rankings
from kb.search.query import parse

CHUNKS = 400


def _text(i: int) -> str:
    words = [f"filler{i}", "model", "language"]
    if i % 2 == 0:
        words.append("attention")
    if i % 4 == 1 or i < 60 and i % 2 == 0:
        words.append("need")  # 100 chunks alone, and 30 of the "attention" ones too
    if i in (7, 77, 177):
        words.append("zebra")
    if i in (9, 99, 199, 299):
        words.append("giraffe")
    return " ".join(words) + "."


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from kb import papers
    from kb.store import Store

    home = tmp_path_factory.mktemp("lexcost")
    store = Store.open(home)
    with store.tx():
        for p in range(4):
            paper, _ = papers.upsert(store, title=f"Paper number {p}", arxiv_id=f"2101.0001{p}")
            pdf = home / f"p{p}.pdf"
            pdf.write_bytes(b"%PDF-1.4")
            att = papers.add_attachment(store, paper.id, str(pdf))
            for i in range(p, CHUNKS, 4):
                text = _text(i)
                store.execute("INSERT INTO chunks (paper_id, attachment_id, seq, page, char_start, char_end, text) "
                              "VALUES (?, ?, ?, 1, 0, ?, ?)", (paper.id, att, i, len(text), text))
    yield store
    store.close()


def _chunk_texts(store, query: str) -> list[str]:
    refs = [item.ref for item in _lexical_rankings(store, parse(query), None)["lexical"]]
    rows = {r["id"]: r["text"] for r in store.all("SELECT id, text FROM chunks")}
    return [rows[ref] for ref in refs]


def test_a_query_of_common_words_ranks_only_the_chunks_that_hold_them_all(store):
    """An OR of "attention" and "need" would score 230 of the 400 chunks (and return chunks
    holding one of them); the AND scores and returns the 30 that hold both."""
    texts = _chunk_texts(store, "attention need")
    assert len(texts) == 30
    assert all("attention" in t and "need" in t for t in texts)


def test_a_word_no_chunk_holds_does_not_empty_the_and(store):
    texts = _chunk_texts(store, "attention need unicornword")
    assert len(texts) == 30 and all("attention" in t and "need" in t for t in texts)


def test_the_and_is_relaxed_commonest_word_first_when_too_few_chunks_hold_every_word(store):
    """"language attention need": all three together in 30 chunks, enough. With "giraffe"
    (4 chunks, rare) and two common words, the rare word alone ranks: no AND of two words
    reaches ENOUGH chunks, and an OR with a common word would score half the library."""
    texts = _chunk_texts(store, "giraffe attention need")
    assert texts and all("giraffe" in t for t in texts)


def test_rare_words_are_or_ed_rarest_first_within_the_budget(store, monkeypatch):
    both = _chunk_texts(store, "zebra giraffe")
    assert len(both) == 7  # 3 + 4: within the budget, an OR of the rare words
    monkeypatch.setattr(lexical, "BUDGET", 5)  # room for the rarest word's 3 chunks only
    assert sorted(_chunk_texts(store, "zebra giraffe")) == sorted(t for t in both if "zebra" in t)
