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


def _library(home, text):
    from kb import papers
    from kb.store import Store

    store = Store.open(home)
    with store.tx():
        for p in range(4):
            paper, _ = papers.upsert(store, title=f"Paper number {p}", arxiv_id=f"2101.0001{p}")
            pdf = home / f"p{p}.pdf"
            pdf.write_bytes(b"%PDF-1.4")
            att = papers.add_attachment(store, paper.id, str(pdf))
            for i in range(p, CHUNKS, 4):
                body = text(i)
                store.execute("INSERT INTO chunks (paper_id, attachment_id, seq, page, char_start, char_end, text) "
                              "VALUES (?, ?, ?, 1, 0, ?, ?)", (paper.id, att, i, len(body), body))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = _library(tmp_path_factory.mktemp("lexcost"), _text)
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


# -- the AND's relaxation, with eight common words whose shares are known ------------------------
# w0 in chunks 0-29 and w1 in 10-69: the two together in 20 chunks (ENOUGH). w2 to w7 each in
# 200 to 300 chunks, none of them among chunks 0-69, so any AND of three or more words is empty.
EIGHT = [f"word{n}x" for n in range(8)]


def _eight(i: int) -> str:
    words = [f"filler{i}"]
    if i < 30:
        words.append(EIGHT[0])
    if 10 <= i < 70:
        words.append(EIGHT[1])
    words += [w for n, w in enumerate(EIGHT[2:], start=2) if i >= 70 and (i + n) % 8 < 6]
    return " ".join(words) + "."


@pytest.fixture(scope="module")
def eight(tmp_path_factory):
    store = _library(tmp_path_factory.mktemp("lexeight"), _eight)
    yield store
    store.close()


def test_the_relaxed_and_keeps_the_most_words_enough_chunks_hold(eight):
    matches = lexical.match_words(eight, EIGHT, 100)
    texts = dict(eight.all("SELECT id, text FROM chunks"))
    assert len(matches) == 20
    assert all(EIGHT[0] in texts[m.ref] and EIGHT[1] in texts[m.ref] for m in matches)


def test_the_relaxed_and_is_found_by_bisection(eight, monkeypatch):
    """Each probe evaluates an AND (a millisecond at 50k chunks, more with a phrase): dropping
    the commonest word one at a time probed seven ANDs here; bisection over eight words, three."""
    probes = []
    count = lexical._count

    def counting(store, table, expression, cap):
        if " AND " in expression:
            probes.append(expression)
        return count(store, table, expression, cap)

    monkeypatch.setattr(lexical, "_count", counting)
    lexical.match_words(eight, EIGHT, 100)
    assert len(probes) <= 3, probes


def test_ranked_chunks_come_in_bm25_order_as_fts5_ranks_them(store):
    """match_chunks ranks with bm25() (FTS5's `ORDER BY rank` re-reads every row it returns):
    the same chunks in the same order as the rank query, ties by rowid."""
    for expression in ('"attention" AND "need"', '"zebra" OR "giraffe"', '"model"'):
        want = [r[0] for r in store.all("SELECT rowid FROM chunks_words WHERE chunks_words MATCH ? "
                                         "ORDER BY rank, rowid LIMIT 50", (expression,))]
        got = [m.ref for m in lexical.match_chunks(store, expression, 50, words=True)]
        assert got == want
