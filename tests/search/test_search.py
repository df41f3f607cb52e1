"""Hybrid search over two real papers: right paper, right page, filters, snippets, modes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kb.errors import BadInput, NotFound
from kb.search.filters import Filters
from kb.search.hybrid import search, search_lexical
from tests.conftest import REPO

MODES = ("hybrid", "dense", "lexical")


def _top(library, query, mode="hybrid", **kw):
    hits = search(library.store, library.home, library.config, query, mode=mode, **kw)
    assert hits, f"no hits for {query!r} ({mode})"
    return hits


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("query,paper", [
    ("soft targets with a high softmax temperature", "distill"),
    ("multi-head self-attention encoder decoder", "transformer"),
    ("ensemble of specialist models trained on confusable classes", "distill"),
    ("positional encoding with sine and cosine functions", "transformer"),
])
def test_known_items_come_first_in_every_mode(library, mode, query, paper):
    hits = _top(library, query, mode)
    assert hits[0].paper_id == getattr(library, paper)


@pytest.mark.parametrize("query,paper", [("知识蒸馏 软标签 温度", "distill"), ("多头注意力 位置编码", "transformer")])
def test_chinese_queries_find_the_english_papers(library, query, paper):
    for mode in MODES:
        assert _top(library, query, mode)[0].paper_id == getattr(library, paper)


def test_hit_has_page_section_and_highlighted_snippet(library):
    hit = _top(library, "scaled dot-product attention")[0]
    assert hit.paper_id == library.transformer
    assert hit.citekey and hit.title == "Attention Is All You Need" and hit.year == 2017
    assert 2 <= hit.page <= 6, "scaled dot-product attention is defined in section 3, on page 3 or 4"
    assert hit.section and hit.pages[0] == hit.page and len(set(hit.pages)) == len(hit.pages) <= 3
    assert "«" in hit.snippet and "»" in hit.snippet
    assert set(hit.matched) >= {"dense", "lexical"}
    assert hit.score > 0


def test_scores_are_ordered_and_limit_holds(library):
    hits = _top(library, "neural network training", limit=1)
    assert len(hits) == 1
    hits = _top(library, "neural network training", limit=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_filters_restrict_papers(library):
    both = {h.paper_id for h in _top(library, "the model is trained")}
    assert both == {library.distill, library.transformer}
    assert {h.paper_id for h in _top(library, "the model is trained", filters=Filters(status="read"))} == {library.distill}
    assert {h.paper_id for h in _top(library, "the model is trained", filters=Filters(year=2017))} == {library.transformer}
    assert {h.paper_id for h in _top(library, "the model is trained", filters=Filters(plan="spring", week=3))} == {library.transformer}
    assert search(library.store, library.home, library.config, "the model", filters=Filters(plan="spring", week=9)) == []
    assert search(library.store, library.home, library.config, "the model", filters=Filters(tag="nothing-has-it")) == []
    with pytest.raises(NotFound):
        search(library.store, library.home, library.config, "x", filters=Filters(plan="autumn"))


def test_bad_inputs(library):
    with pytest.raises(BadInput):
        search(library.store, library.home, library.config, "   ")
    with pytest.raises(BadInput):
        search(library.store, library.home, library.config, "attention", mode="fuzzy")
    long = _top(library, "distillation " * 1000)
    assert long[0].paper_id == library.distill
    for raw in ['"attention', "softmax*", "NEAR(attention, model)", "attention AND OR NOT"]:
        search(library.store, library.home, library.config, raw)  # never an FTS5 syntax error


def test_lexical_search_finds_notes_and_needs_no_model(library):
    from kb.index.lexical import index_note, remove_note

    index_note(library.store, library.transformer, "我的笔记：缩放点积注意力除以根号 d_k，防止 softmax 饱和。")
    try:
        hits = search_lexical(library.store, "根号 d_k 防止饱和")
        assert hits and hits[0].paper_id == library.transformer
        hits = search_lexical(library.store, "缩放点积注意力")
        assert hits[0].paper_id == library.transformer
    finally:
        remove_note(library.store, library.transformer)
    code = (
        "from kb.search.hybrid import search_lexical\nimport sys\n"
        "assert not [m for m in ('torch','chromadb','sentence_transformers','transformers') if m in sys.modules]\nprint('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_annotations_are_searchable(library):
    from kb.index.lexical import sync_annotations

    store = library.store
    with store.tx():
        store.execute(
            "INSERT INTO annotations (paper_id, library, zotero_key, type, text, comment, page_label) "
            "VALUES (?, 'local', 'ANN1', 'highlight', 'dark knowledge lives in the small probabilities', 'zebrafish memo', '3')",
            (library.distill,),
        )
    try:
        sync_annotations(store)
        hit = search_lexical(store, "zebrafish")[0]
        assert (hit.paper_id, hit.source, hit.page) == (library.distill, "annotation", 3)
    finally:
        with store.tx():
            store.execute("DELETE FROM annotations WHERE zotero_key = 'ANN1'")
        sync_annotations(store)
    assert search_lexical(store, "zebrafish") == []


@pytest.mark.parametrize("words,expression", [(True, '"attention" OR "softmax"'), (False, '"注意力" OR "softmax"'),
                                              (True, '"temperature"')])
def test_unfiltered_chunk_matches_equal_the_filtered_path(library, words, expression):
    """Unfiltered matches are ranked inside FTS5 before the join; filtering by every paper takes
    the join-first path. Both must give the same chunks, scores and order."""
    from kb.index.lexical import match_chunks

    every = [library.distill, library.transformer]
    fast = match_chunks(library.store, expression, 25, words=words)
    filtered = match_chunks(library.store, expression, 25, every, words=words)
    key = lambda ms: sorted((round(m.score, 9), m.ref, m.paper_id) for m in ms)  # noqa: E731 - equal scores may come in either order
    assert fast and key(fast) == key(filtered)
    assert [m.score for m in fast] == sorted(m.score for m in fast)
