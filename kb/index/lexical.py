"""The lexical index: SQLite FTS5 (trigram tokens) over chunks and paper-level text.

Chunks reach `chunks_fts` through triggers (see 0004_search.sql), so whoever writes `chunks`
keeps the lexical index in step. Paper-level text, one row per (paper, kind, key) in
`search_docs`, comes from titles and abstracts (`sync_papers`), notes (`index_note`, called by
the notes area) and Zotero annotations (`sync_annotations`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from kb.store import Store


@dataclass(frozen=True)
class LexicalMatch:
    kind: str  # chunk | title | abstract | note | annotation
    ref: int  # chunks.id or search_docs.id
    paper_id: int
    score: float  # bm25: lower is better


# -- writing ---------------------------------------------------------------------------------
def index_note(store: Store, paper_id: int, text: str) -> None:
    """Make a paper's note searchable (replaces what was there); empty text removes it."""
    _put_doc(store, paper_id, "note", "", text)


def remove_note(store: Store, paper_id: int) -> None:
    _put_doc(store, paper_id, "note", "", "")


def _put_doc(store: Store, paper_id: int, kind: str, key: str, text: str, page: str | None = None) -> None:
    text = (text or "").strip()
    with store.tx():
        if not text:
            store.execute("DELETE FROM search_docs WHERE paper_id = ? AND kind = ? AND key = ?", (paper_id, kind, key))
            return
        store.execute(
            "INSERT INTO search_docs (paper_id, kind, key, page, text) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (paper_id, kind, key) DO UPDATE SET text = excluded.text, page = excluded.page "
            "WHERE text IS NOT excluded.text OR page IS NOT excluded.page",
            (paper_id, kind, key, page, text),
        )


def sync_papers(store: Store) -> None:
    """Titles and abstracts into the lexical index; only rows that changed are touched."""
    with store.tx():
        for kind, column in (("title", "title"), ("abstract", "abstract")):
            store.execute(
                f"DELETE FROM search_docs WHERE kind = '{kind}' AND NOT EXISTS ("
                f"SELECT 1 FROM papers p WHERE p.id = search_docs.paper_id AND trim(p.{column}) = search_docs.text)"
            )
            store.execute(
                f"INSERT INTO search_docs (paper_id, kind, key, text) "
                f"SELECT p.id, '{kind}', '', trim(p.{column}) FROM papers p "
                f"WHERE coalesce(trim(p.{column}), '') != '' AND NOT EXISTS ("
                f"SELECT 1 FROM search_docs d WHERE d.paper_id = p.id AND d.kind = '{kind}')"
            )


def sync_annotations(store: Store) -> None:
    """Zotero annotations (highlighted text and the user's comment) into the lexical index."""
    comment = "coalesce(a.comment, '')"
    page = "a.page_label"
    body = f"trim(coalesce(a.text, '') || CASE WHEN {comment} != '' THEN char(10) || {comment} ELSE '' END)"
    with store.tx():
        store.execute(
            f"DELETE FROM search_docs WHERE kind = 'annotation' AND NOT EXISTS ("
            f"SELECT 1 FROM annotations a WHERE CAST(a.rowid AS TEXT) = search_docs.key "
            f"AND a.paper_id = search_docs.paper_id AND {body} = search_docs.text)"
        )
        store.execute(
            f"INSERT INTO search_docs (paper_id, kind, key, page, text) "
            f"SELECT a.paper_id, 'annotation', CAST(a.rowid AS TEXT), {page}, {body} FROM annotations a "
            f"WHERE a.paper_id IS NOT NULL AND {body} != '' AND EXISTS (SELECT 1 FROM papers p WHERE p.id = a.paper_id) "
            f"AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.kind = 'annotation' AND d.key = CAST(a.rowid AS TEXT))"
        )


def optimize(store: Store) -> None:
    """Merge the FTS5 b-trees into one: many small writes leave segments each query must visit."""
    with store.tx():
        store.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
        store.execute("INSERT INTO chunks_words(chunks_words) VALUES ('optimize')")
        store.execute("INSERT INTO search_docs_fts(search_docs_fts) VALUES ('optimize')")


# -- reading ---------------------------------------------------------------------------------
TRIGRAM_MIN = 3  # the trigram tokenizer cannot match shorter strings; the dense side covers them
COMMON_SHARE = 0.05  # a word in more chunks than this adds little to bm25 but costs a long posting list
BUDGET = 3000  # chunks an OR may make FTS5 score: under 10 ms of bm25 (2.5 µs a chunk, more for a phrase)
ENOUGH = 20  # chunks holding every word that make a ranking worth having


def match_words(store: Store, terms: Sequence[str], limit: int, paper_ids: Sequence[int] | None = None) -> list[LexicalMatch]:
    """Chunks for English words and phrases from the stemmed word index, best first, with a
    bounded cost: FTS5 computes bm25 for every chunk an expression matches before it sorts.

    - The query's rare terms (each in under COMMON_SHARE of the chunks) are OR-ed, rarest
      first, as long as their chunks add up to at most BUDGET. Common words add little to
      bm25 and are left out.
    - A query of (almost) only common words ("attention is all you need") is an AND of all
      of them, the commonest dropped until at least ENOUGH chunks hold the rest: an OR of
      "attention" and "all" scored 17,800 of 50,000 chunks (50 ms); the AND scores 353 (4 ms).
    """
    terms = [t for t in terms if len(t) >= TRIGRAM_MIN]
    if not terms:
        return []
    cap = max(1, int((store.scalar("SELECT max(id) FROM chunks") or 0) * COMMON_SHARE))
    counts = {t: _count(store, "chunks_words", quote(t), cap) for t in terms}
    # Rarest first (ties keep the query's order); a term no chunk holds would only empty an AND.
    ordered = sorted((t for t in terms if counts[t]), key=lambda t: counts[t])
    if not ordered:
        return []
    rare = [t for t in ordered if counts[t] < cap]
    if len(rare) >= min(2, len(ordered)):
        chosen, spent = [], 0
        for term in rare:
            if chosen and spent + counts[term] > BUDGET:
                break
            chosen.append(term)
            spent += counts[term]
        return match_chunks(store, " OR ".join(quote(t) for t in chosen), limit, paper_ids, words=True)
    # The most of the rarest words that ENOUGH chunks still hold all of. An AND of more words
    # matches fewer chunks, so the answer is found by bisection: three probes of about a
    # millisecond for a seven-word question, where dropping one word at a time took six.
    good, bad = 1, len(ordered) + 1  # good: known to hold (or the trivial one word); bad: known not to
    while bad - good > 1:
        keep = (good + bad) // 2
        if _count(store, "chunks_words", _and(ordered[:keep]), ENOUGH) >= ENOUGH:
            good = keep
        else:
            bad = keep
    if good >= 2:
        return match_chunks(store, _and(ordered[:good]), limit, paper_ids, words=True)
    # No two words share ENOUGH chunks: the rarest word alone if it is rare, else the two rarest.
    fallback = ordered[:1] if rare else ordered[:2]
    return match_chunks(store, " OR ".join(quote(t) for t in fallback), limit, paper_ids, words=True)


def _and(terms: Sequence[str]) -> str:
    return " AND ".join(quote(t) for t in terms)


def quote(term: str) -> str:
    """One term as an FTS5 string: user text is never FTS5 syntax (see kb.search.query)."""
    return '"' + term.replace('"', '""') + '"'


def _count(store: Store, table: str, expression: str, cap: int) -> int:
    """Matching rows, counted up to `cap` (a common word costs a bounded scan)."""
    return store.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT ?)", (expression, cap))


def match_chunks(store: Store, expression: str, limit: int, paper_ids: Sequence[int] | None = None, *,
                 words: bool = False) -> list[LexicalMatch]:
    """Chunks matching an FTS5 expression (built by kb.search.query), best first. `words` uses
    the stemmed word index (fast, English); otherwise trigrams (Chinese, parts of words)."""
    table = "chunks_words" if words else "chunks_fts"
    if paper_ids is None:
        # Rank inside FTS5 and join only the top rows to chunks: joining first looked up every
        # matching chunk (tens of thousands for a common word) before the sort. Same rows, same order.
        # bm25() rather than `ORDER BY rank`, which is the same function: FTS5's rank-sorted mode
        # seeks every returned row again and re-reads its position lists, 2.4x the time for a
        # phrase such as "3.6" (8.0 against 3.3 ms, 160 rows of 50,000 chunks).
        sql = (f"SELECT c.id, c.paper_id, f.score FROM (SELECT rowid, bm25({table}) AS score FROM {table} "
               f"WHERE {table} MATCH ? ORDER BY score, rowid LIMIT ?) f JOIN chunks c ON c.id = f.rowid "
               f"ORDER BY f.score, f.rowid")
        return [LexicalMatch("chunk", r[0], r[1], r[2]) for r in store.all(sql, (expression, limit))]
    sql = (
        f"SELECT c.id, c.paper_id, bm25({table}) AS score FROM {table} JOIN chunks c ON c.id = {table}.rowid "
        f"WHERE {table} MATCH ? AND c.paper_id IN (SELECT value FROM json_each(?)) ORDER BY score LIMIT ?"
    )
    return [LexicalMatch("chunk", r[0], r[1], r[2]) for r in store.all(sql, (expression, json.dumps(list(paper_ids)), limit))]


def match_docs(store: Store, expression: str, limit: int, paper_ids: Sequence[int] | None = None) -> list[LexicalMatch]:
    """Titles, abstracts, notes and annotations matching an FTS5 expression, best first."""
    sql = (
        "SELECT d.id, d.paper_id, d.kind, bm25(search_docs_fts) AS score FROM search_docs_fts "
        "JOIN search_docs d ON d.id = search_docs_fts.rowid WHERE search_docs_fts MATCH ?"
    )
    params: list = [expression]
    if paper_ids is not None:
        sql += " AND d.paper_id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(paper_ids)))
    sql += " ORDER BY score LIMIT ?"
    params.append(limit)
    return [LexicalMatch(r[2], r[0], r[1], r[3]) for r in store.all(sql, params)]
