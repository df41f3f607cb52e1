"""A paper's extracted full text in the store: its outline (sections), reference list and
captions, the extraction status, and the citation edges its references give the graph."""

from __future__ import annotations

import json
from typing import Any

from kb import titles
from kb.papers import normalize_arxiv, normalize_doi
from kb.pdf.model import Document, Reference
from kb.store import Store

# A reference names a library paper when their titles are this close (0..100), or when the
# library title appears whole inside the reference text and is long enough to be specific.
TITLE_MATCH = 90.0
MIN_CONTAINED_TITLE = 24


def save_document(store: Store, paper_id: int, attachment_id: int | None, doc: Document) -> None:
    """Replace the paper's sections, references and captions with doc's, and recompute the
    citation edges from its references, all in one transaction."""
    with store.tx():
        _clear(store, paper_id)
        store.execute(
            "INSERT INTO documents (paper_id, attachment_id, content_hash, status, page_count, title) VALUES (?, ?, ?, 'ok', ?, ?)",
            (paper_id, attachment_id, doc.content_hash, doc.page_count, doc.metadata.title),
        )
        store.conn.executemany(
            "INSERT INTO sections (paper_id, position, title, level, kind, start_page, end_page) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(paper_id, i, s.title, s.level, s.kind, s.start_page, s.end_page) for i, s in enumerate(doc.sections)],
        )
        store.conn.executemany(
            "INSERT INTO refs (paper_id, position, raw, title, authors, year, arxiv_id, doi) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (paper_id, i, r.raw, r.title, json.dumps(r.authors, ensure_ascii=False), r.year, normalize_arxiv(r.arxiv_id), normalize_doi(r.doi))
                for i, r in enumerate(doc.references)
            ],
        )
        store.conn.executemany(
            "INSERT INTO captions (paper_id, position, kind, label, text, page, bbox) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (paper_id, i, c.kind, c.label, c.text, c.page, json.dumps(list(c.bbox)) if c.bbox else None)
                for i, c in enumerate(doc.captions)
            ],
        )
        if attachment_id is not None:
            store.execute("UPDATE attachments SET content_hash = ? WHERE id = ?", (doc.content_hash, attachment_id))
        _link_references(store, paper_id, _Library.load(store))


def mark_failed(store: Store, paper_id: int, attachment_id: int | None, content_hash: str | None, reason: str, message: str) -> None:
    """Record that the paper's PDF could not be read; nothing partial of it stays behind."""
    with store.tx():
        _clear(store, paper_id)
        store.execute(
            "INSERT INTO documents (paper_id, attachment_id, content_hash, status, reason, message) VALUES (?, ?, ?, 'failed', ?, ?)",
            (paper_id, attachment_id, content_hash, reason, message),
        )


def forget(store: Store, paper_id: int) -> None:
    """Drop what was read from the paper's PDF (the next `kb index` reads it again)."""
    with store.tx():
        _clear(store, paper_id)


def _clear(store: Store, paper_id: int) -> None:
    for table in ("documents", "sections", "refs", "captions"):
        store.execute(f"DELETE FROM {table} WHERE paper_id = ?", (paper_id,))
    store.execute("DELETE FROM paper_edges WHERE dst_paper_id = ? AND kind = 'cites'", (paper_id,))


def document_status(store: Store, paper_id: int) -> dict[str, Any] | None:
    row = store.one("SELECT * FROM documents WHERE paper_id = ?", (paper_id,))
    return dict(row) if row else None


def sections(store: Store, paper_id: int) -> list[dict[str, Any]]:
    rows = store.all("SELECT title, level, kind, start_page, end_page FROM sections WHERE paper_id = ? ORDER BY position", (paper_id,))
    return [dict(r) for r in rows]


def references(store: Store, paper_id: int) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT raw, title, authors, year, arxiv_id, doi, cited_paper_id FROM refs WHERE paper_id = ? ORDER BY position", (paper_id,)
    )
    return [dict(r, authors=json.loads(r["authors"])) for r in rows]


def captions(store: Store, paper_id: int) -> list[dict[str, Any]]:
    rows = store.all("SELECT kind, label, text, page, bbox FROM captions WHERE paper_id = ? ORDER BY position", (paper_id,))
    return [dict(r, bbox=json.loads(r["bbox"]) if r["bbox"] else None) for r in rows]


def recompute_citation_edges(store: Store) -> int:
    """Match every stored reference against the library again (papers added since may now be
    cited). Returns the number of citation edges."""
    library = _Library.load(store)
    with store.tx():
        store.execute("DELETE FROM paper_edges WHERE kind = 'cites'")
        for (paper_id,) in store.all("SELECT paper_id FROM documents WHERE status = 'ok'"):
            _link_references(store, paper_id, library)
    return store.scalar("SELECT count(*) FROM paper_edges WHERE kind = 'cites'")


def link_new_papers(store: Store, paper_ids: list[int]) -> int:
    """Link the references that cite papers just added. Only references still unlinked can: a
    linked one already names a library paper, and an unlinked one matched no paper there was.
    Matching every reference of the library again cost (papers with full text) x (references)
    x (library titles): minutes at a thousand papers. Returns the number of references linked."""
    if not paper_ids:
        return 0
    wanted = json.dumps(sorted(set(paper_ids)))
    added = _Library(store.all("SELECT id, arxiv_id, doi, title_norm FROM papers WHERE id IN (SELECT value FROM json_each(?))",
                               (wanted,)))
    rows = store.all("SELECT id, paper_id, raw, title, arxiv_id, doi FROM refs WHERE cited_paper_id IS NULL ORDER BY id")
    linked = 0
    with store.tx():
        for start in range(0, len(rows), _BATCH):
            batch = rows[start:start + _BATCH]
            for row, cited in zip(batch, added.match_all([dict(r) for r in batch])):
                linked += _link(store, row, cited)
    return linked


_BATCH = 512  # references scored at once: a batch's scores are (batch x titles) floats


class _Library:
    """The library's identifiers and normalised titles, loaded once per matching pass."""

    def __init__(self, rows):
        self.by_arxiv = {r["arxiv_id"]: r["id"] for r in rows if r["arxiv_id"]}
        self.by_doi = {r["doi"]: r["id"] for r in rows if r["doi"]}
        self.titles = [(r["id"], r["title_norm"]) for r in rows if r["title_norm"]]
        self._order = {paper_id: position for position, (paper_id, _) in enumerate(self.titles)}
        self.index = titles.TitleIndex([norm for _, norm in self.titles])
        # Titles long enough to be recognised inside a reference's text, by their words, with the
        # first library paper of that title; and the word counts such a title can have.
        self.quotable: dict[tuple[str, ...], int] = {}
        for paper_id, norm in self.titles:
            if len(norm) >= MIN_CONTAINED_TITLE:
                self.quotable.setdefault(tuple(norm.split()), paper_id)
        self.quotable_words = range(min(map(len, self.quotable), default=0), max(map(len, self.quotable), default=-1) + 1)

    @classmethod
    def load(cls, store: Store) -> "_Library":
        return cls(store.all("SELECT id, arxiv_id, doi, title_norm FROM papers"))

    def match_all(self, refs: list[Reference | dict]) -> list[int | None]:
        """The library paper each reference cites (or None): by arXiv id, DOI, a library title
        found in the reference's text, then the closest title (one scoring pass for them all)."""
        found: list[int | None] = []
        fuzzy: dict[int, str] = {}  # position in refs -> the normalised title to score
        for position, ref in enumerate(refs):
            get = ref.get if isinstance(ref, dict) else lambda k, ref=ref: getattr(ref, k)
            arxiv = normalize_arxiv(get("arxiv_id"))
            doi = normalize_doi(get("doi"))
            cited = (self.by_arxiv.get(arxiv) if arxiv else None) or (self.by_doi.get(doi) if doi else None)
            if cited is None:
                cited = self._quoted(titles.normalize(get("raw") or "").split())
            if cited is None and (title := titles.normalize(get("title") or "")):
                fuzzy[position] = title
            found.append(cited)
        for position, (best, score) in zip(fuzzy, self.index.best_many(list(fuzzy.values()))):
            found[position] = self.titles[best][0] if best is not None and score >= TITLE_MATCH else None
        return found

    def _quoted(self, words: list[str]) -> int | None:
        """The library paper whose whole title is a run of the reference's words (the first in
        library order when several are): each run looked up, rather than each title searched for."""
        found = [self.quotable[run] for size in self.quotable_words for start in range(len(words) - size + 1)
                 if (run := tuple(words[start:start + size])) in self.quotable]
        return min(found, key=self._order.__getitem__) if found else None


def _link_references(store: Store, paper_id: int, library: _Library) -> None:
    rows = store.all("SELECT id, paper_id, raw, title, arxiv_id, doi FROM refs WHERE paper_id = ?", (paper_id,))
    for row, cited in zip(rows, library.match_all([dict(r) for r in rows])):
        _link(store, row, cited)


def _link(store: Store, ref: Any, cited: int | None) -> int:
    """Record that reference `ref` (a refs row) names paper `cited`; a paper citing itself is not an edge."""
    if cited is None or cited == ref["paper_id"]:
        return 0
    store.execute("UPDATE refs SET cited_paper_id = ? WHERE id = ?", (cited, ref["id"]))
    store.execute(
        "INSERT OR IGNORE INTO paper_edges (src_paper_id, dst_paper_id, kind, source) VALUES (?, ?, 'cites', 'references')",
        (cited, ref["paper_id"]),
    )
    return 1
