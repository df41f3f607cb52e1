"""Hybrid search: dense (Chroma) and lexical (FTS5) rankings fused, aggregated to papers.

Fusion is reciprocal rank fusion (Cormack et al., 2009): an item ranked r-th in a list earns
1 / (K + r), summed over lists. Papers are ranked by fusing, per list, the rank of each
paper's best item; the best chunk (by the same fusion at chunk level) gives the hit's page,
section and snippet. Three lists take part: dense chunks, lexical chunks, and lexical
paper-level text (titles, abstracts, notes, annotations). Scores are fused scores in every
mode, comparable within one result list only.

`search_lexical` needs neither the model nor Chroma: the TUI shows its hits at once, then
replaces them with `search`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import zip_longest
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from kb.errors import BadInput
from kb.index import lexical
from kb.search import glossary
from kb.search.filters import Filters, allowed_papers
from kb.search.query import Query, fts_expression, highlight_terms, parse, term_pattern
from kb.search.snippet import snippet
from kb.store import Store

MODES = ("hybrid", "dense", "lexical")
K = 60  # the RRF constant from the paper; damps the weight of the very first ranks
CANDIDATES = 100  # per list: enough for the top papers to collect their best pages
DOC_COVERAGE = 0.5  # share of the query's terms a title, abstract or note must hold to count


@dataclass
class Hit:
    paper_id: int
    citekey: str
    title: str
    year: int | None
    page: int | None  # 1-based page of the best chunk; None when the title/abstract/note matched
    section: str | None
    score: float
    snippet: str  # query terms marked «…»
    pages: list[int] = field(default_factory=list)  # the paper's best pages, best first
    matched: list[str] = field(default_factory=list)  # lists it came from: dense, lexical, docs
    source: str = "chunk"  # what the snippet is from: chunk | title | abstract | note | annotation

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Item(NamedTuple):
    """A tuple, not a frozen dataclass: fusion hashes a few thousand of these per search, and a
    dataclass's Python-level __hash__ was a tenth of a warm search."""

    kind: str  # chunk | title | abstract | note | annotation
    ref: int  # chunk id or search_docs id
    paper_id: int


def search(
    store: Store, home: Path, config: dict, query: str, *, mode: str = "hybrid", limit: int = 10,
    filters: Filters | None = None,
) -> list[Hit]:
    if mode not in MODES:
        raise BadInput(f"unknown search mode {mode!r}", f"use one of: {', '.join(MODES)}")
    parsed = parse(query)
    allowed = allowed_papers(store, filters)
    if allowed is not None and not allowed:
        return []
    if mode == "lexical":
        return _fuse(store, parsed, _lexical_rankings(store, parsed, allowed), limit)
    if mode == "dense":
        return _fuse(store, parsed, {"dense": _dense_ranking(home, config, parsed, allowed)}, limit)
    # SQLite and the model both release the GIL: the lexical side runs while the query is encoded.
    lexical_side = _lexical_pool().submit(_lexical_side, store, parsed, allowed)
    rankings = {"dense": _dense_ranking(home, config, parsed, allowed)}
    lexical_rankings, places = lexical_side.result()
    rankings.update(lexical_rankings)
    return _fuse(store, parsed, rankings, limit, places)


def _lexical_side(store: Store, parsed: Query, allowed: Sequence[int] | None) -> tuple[dict[str, list[_Item]], dict[int, Any]]:
    """The lexical rankings and where their chunks are: read here, beside the query's encoding,
    so that fusion afterwards looks up only the dense side's other chunks."""
    rankings = _lexical_rankings(store, parsed, allowed)
    return rankings, _chunk_rows(store, {i.ref for i in rankings["lexical"]})


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lexical_pool() -> ThreadPoolExecutor:
    """The threads the lexical side runs in, kept for the process: starting a thread for each
    search cost half a millisecond of a 15 ms search. Several at once (the TUI's workers, the
    query server's clients) each get one."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kb-lexical")
        return _pool


def search_lexical(store: Store, query: str, *, limit: int = 10, filters: Filters | None = None) -> list[Hit]:
    """Lexical-only search: no model, no Chroma, a few milliseconds."""
    parsed = parse(query)
    allowed = allowed_papers(store, filters)
    if allowed is not None and not allowed:
        return []
    return _fuse(store, parsed, _lexical_rankings(store, parsed, allowed), limit)


# -- rankings ----------------------------------------------------------------------------------
def _lexical_rankings(store: Store, parsed: Query, allowed: Sequence[int] | None) -> dict[str, list[_Item]]:
    expression = parsed.fts
    if expression is None:
        return {"lexical": [], "docs": []}
    # English words (and the glossary's English for Chinese terms) go to the stemmed word index;
    # Chinese characters, which it cannot split, to the trigram index. (Numbers such as "3.6"
    # stay with the words: on the trigram index they also matched every "section 3.6", and the
    # Adapter paper fell from first to second for "only 3.6% additional parameters per task".)
    chinese = [t for t in parsed.terms if glossary.has_chinese(t)]
    latin = [t for t in parsed.terms if not glossary.has_chinese(t)]
    chunks = lexical.match_words(store, latin, CANDIDATES, allowed)
    cjk_expression = fts_expression(chinese)
    if cjk_expression is not None:
        chunks = _interleave(chunks, lexical.match_chunks(store, cjk_expression, CANDIDATES, allowed))[:CANDIDATES]
    docs = _selective(store, parsed, lexical.match_docs(store, expression, CANDIDATES // 2, allowed))
    return {
        "lexical": [_Item("chunk", m.ref, m.paper_id) for m in chunks],
        "docs": [_Item(m.kind, m.ref, m.paper_id) for m in docs],
    }


def _interleave(first: list[lexical.LexicalMatch], second: list[lexical.LexicalMatch]) -> list[lexical.LexicalMatch]:
    """Two rankings of chunks as one, rank by rank (their bm25 scores come from different
    indexes and do not compare); a chunk in both keeps its better place."""
    out, seen = [], set()
    for pair in zip_longest(first, second):
        for match in pair:
            if match is not None and match.ref not in seen:
                seen.add(match.ref)
                out.append(match)
    return out


def _selective(store: Store, parsed: Query, matches: list[lexical.LexicalMatch]) -> list[lexical.LexicalMatch]:
    """Paper-level matches that hold at least half of the query's terms, fullest first.

    Titles are short lists: under rank fusion, merely appearing in a list outweighs any
    difference of rank within one, so a title that shares one common word with a question
    ("models") must not take part.
    """
    terms = [re.compile(term_pattern(t), re.IGNORECASE) for t in parsed.terms if len(t) >= 3]
    if not matches or not terms:
        return []
    texts = {r["id"]: r["text"] for r in store.all(
        "SELECT id, text FROM search_docs WHERE id IN (SELECT value FROM json_each(?))", (_json(m.ref for m in matches),))}
    scored = []
    for order, match in enumerate(matches):
        text = texts.get(match.ref, "")
        coverage = sum(1 for t in terms if t.search(text)) / len(terms)
        if coverage >= DOC_COVERAGE:
            scored.append((-coverage, order, match))
    return [m for _, _, m in sorted(scored)]


def _dense_ranking(home: Path, config: dict, parsed: Query, allowed: Sequence[int] | None) -> list[_Item]:
    from kb.index.embedder import get_embedder
    from kb.index.vectors import open_vectors

    model = config.get("index", {}).get("model") or "all-MiniLM-L6-v2"
    vector = get_embedder(model, home).encode_query(parsed.dense_text)
    nearest = open_vectors(home, config, model=model).query(vector, CANDIDATES, allowed)
    return [_Item("chunk", chunk_id, -1) for chunk_id, _ in nearest]


# -- fusion ------------------------------------------------------------------------------------
def _fuse(store: Store, parsed: Query, rankings: dict[str, list[_Item]], limit: int, places: dict[int, Any] | None = None) -> list[Hit]:
    """One ranking of papers from several of chunks and paper-level texts (reciprocal rank
    fusion). `places`: chunk rows already read (see _lexical_side)."""
    limit = max(1, min(int(limit), 1000))
    chunk_rows = dict(places or {})
    chunk_rows.update(_chunk_rows(store, {i.ref for items in rankings.values() for i in items
                                          if i.kind == "chunk" and i.ref not in chunk_rows}))
    # Dense results carry only chunk ids; a chunk deleted since (a race with `kb index`) drops out.
    rankings = {
        name: [_Item(i.kind, i.ref, chunk_rows[i.ref]["paper_id"]) if i.paper_id < 0 else i
               for i in items if i.kind != "chunk" or i.ref in chunk_rows]
        for name, items in rankings.items()
    }
    item_score: dict[_Item, float] = {}
    paper_score: dict[int, float] = {}
    paper_lists: dict[int, list[str]] = {}
    for name, items in rankings.items():
        seen_papers: set[int] = set()
        for rank, item in enumerate(items, start=1):
            item_score[item] = item_score.get(item, 0.0) + 1.0 / (K + rank)
            if item.paper_id not in seen_papers:
                seen_papers.add(item.paper_id)
                paper_score[item.paper_id] = paper_score.get(item.paper_id, 0.0) + 1.0 / (K + len(seen_papers))
                paper_lists.setdefault(item.paper_id, []).append(name)
    best = sorted(paper_score, key=lambda p: (-paper_score[p], p))[:limit]
    if not best:
        return []
    papers = {r["id"]: r for r in store.all(
        "SELECT id, citekey, title, year FROM papers WHERE id IN (SELECT value FROM json_each(?))", (_json(best),))}
    docs = _doc_rows(store, {i.ref for i in item_score if i.kind != "chunk" and i.paper_id in paper_score})
    terms = highlight_terms(parsed)
    by_paper: dict[int, list[_Item]] = {}
    for item in item_score:
        by_paper.setdefault(item.paper_id, []).append(item)
    owns = {p: sorted(by_paper[p], key=lambda i: -item_score[i]) for p in best if p in papers}
    # The one chunk per paper whose text becomes its snippet, read in one query.
    texts = _chunk_texts(store, {next((i.ref for i in own if i.kind == "chunk"), None) for own in owns.values()} - {None})
    return [_hit(papers[p], paper_score[p], own, chunk_rows, texts, docs, terms, paper_lists[p]) for p, own in owns.items()]


def _hit(paper: Any, score: float, own: list[_Item], chunk_rows: dict, texts: dict[int, str], docs: dict, terms: list[str],
         lists: list[str]) -> Hit:
    chunks = [chunk_rows[i.ref] for i in own if i.kind == "chunk"]
    pages: list[int] = []
    for row in chunks:
        if row["page"] not in pages:
            pages.append(row["page"])
    # A body chunk makes the better snippet; a title match alone still names the paper.
    if chunks:
        text = texts.get(chunks[0]["id"]) or ""
        source, page, section = "chunk", chunks[0]["page"], chunks[0]["section"]
    else:
        doc = docs[own[0].ref]
        source, section, text = doc["kind"], None, doc["text"]
        page = int(doc["page"]) if doc["page"] and str(doc["page"]).isdigit() else None
    return Hit(
        paper_id=paper["id"], citekey=paper["citekey"], title=paper["title"], year=paper["year"], page=page,
        section=section, score=round(score, 6), snippet=snippet(text, terms), pages=pages[:3], matched=lists, source=source,
    )


def _chunk_rows(store: Store, ids: set[int]) -> dict[int, Any]:
    """Where each candidate chunk is; the text is read only for the snippets shown (a hundred
    or more candidates, ten snippets)."""
    if not ids:
        return {}
    rows = store.all("SELECT id, paper_id, page, section FROM chunks WHERE id IN (SELECT value FROM json_each(?))", (_json(ids),))
    return {r["id"]: r for r in rows}


def _chunk_texts(store: Store, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(store.all("SELECT id, text FROM chunks WHERE id IN (SELECT value FROM json_each(?))", (_json(ids),)))


def _doc_rows(store: Store, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = store.all("SELECT id, kind, page, text FROM search_docs WHERE id IN (SELECT value FROM json_each(?))", (_json(ids),))
    return {r["id"]: r for r in rows}


def _json(values: Any) -> str:
    import json

    return json.dumps(sorted(int(v) for v in values))
