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
COMMON_SHARE = 0.05  # a word in more chunks than this adds little to bm25 but costs a long posting list


def selective_terms(store: Store, terms: Sequence[str], *, keep_at_least: int = 2) -> list[str]:
    """The query's terms less the single words that are common in this library ("model",
    "language", "large"...): an OR over them makes FTS5 score most of the index. Counting
    stops at the cut-off, so a common word costs a bounded scan. Phrases are always kept."""
    total = store.scalar("SELECT max(id) FROM chunks") or 0
    cap = int(total * COMMON_SHARE)
    if cap < 1:
        return list(terms)
    counts = {}
    for term in terms:
        if " " in term:
            continue
        counts[term] = store.scalar(
            "SELECT count(*) FROM (SELECT 1 FROM chunks_words WHERE chunks_words MATCH ? LIMIT ?)",
            ('"' + term.replace('"', '""') + '"', cap),
        )
    kept = [t for t in terms if counts.get(t, 0) < cap]
    if len(kept) < min(keep_at_least, len(terms)):
        rarest = sorted(terms, key=lambda t: counts.get(t, 0))[:keep_at_least]
        kept = [t for t in terms if t in rarest]
    return kept

def match_chunks(store: Store, expression: str, limit: int, paper_ids: Sequence[int] | None = None, *,
                 words: bool = False) -> list[LexicalMatch]:
    """Chunks matching an FTS5 expression (built by kb.search.query), best first. `words` uses
    the stemmed word index (fast, English); otherwise trigrams (Chinese, parts of words)."""
    table = "chunks_words" if words else "chunks_fts"
    if paper_ids is None:
        # Rank inside FTS5 and join only the top rows to chunks: joining first looked up every
        # matching chunk (tens of thousands for a common word) before the sort. Same rows, same order.
        sql = (f"SELECT c.id, c.paper_id, f.score FROM (SELECT rowid, rank AS score FROM {table} WHERE {table} MATCH ? "
               f"ORDER BY rank LIMIT ?) f JOIN chunks c ON c.id = f.rowid ORDER BY f.score")
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
