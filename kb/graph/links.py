"""Prerequisite edges: the curated ones shipped with paper-kb and the user's own."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from kb.errors import BadInput
from kb.papers import Paper
from kb.store import Store


@lru_cache(maxsize=1)
def curated() -> list[dict]:
    """[{"before": arXiv id, "after": arXiv id, "why": str}] from kb/data/prerequisites.json."""
    text = resources.files("kb").joinpath("data", "prerequisites.json").read_text(encoding="utf-8")
    return json.loads(text)["edges"]


def link(store: Store, a: Paper | int, b: Paper | int) -> bool:
    """Make a a prerequisite of b (read a first). Returns False when the edge already existed."""
    src, dst = _id(a), _id(b)
    if src == dst:
        raise BadInput("a paper cannot be its own prerequisite")
    with store.tx():
        store.execute(
            "DELETE FROM paper_edges WHERE src_paper_id = ? AND dst_paper_id = ? AND kind = 'prereq' AND source = 'user-removed'", (src, dst)
        )
        added = store.execute(
            "INSERT OR IGNORE INTO paper_edges (src_paper_id, dst_paper_id, kind, source) VALUES (?, ?, 'prereq', 'user')", (src, dst)
        ).rowcount
    return bool(added)


def unlink(store: Store, a: Paper | int, b: Paper | int) -> bool:
    """Remove "a is a prerequisite of b", whether the user, the curated list or a [[link]] to a
    in b's note made it. Returns False when there was no such edge."""
    from notes.links import link_between

    src, dst = _id(a), _id(b)
    with store.tx():
        removed = store.execute(
            "DELETE FROM paper_edges WHERE src_paper_id = ? AND dst_paper_id = ? AND kind = 'prereq' AND source = 'user'", (src, dst)
        ).rowcount
        if is_curated(store, src, dst) or link_between(store, dst, src) is not None:
            # The curated list is package data and the note is the user's own text (never
            # rewritten): remember the user's veto instead. A veto already there means an
            # earlier unlink removed the edge: this one removed nothing.
            vetoed = store.execute(
                "INSERT OR IGNORE INTO paper_edges (src_paper_id, dst_paper_id, kind, source) VALUES (?, ?, 'prereq', 'user-removed')",
                (src, dst),
            ).rowcount
            return bool(removed or vetoed)
    return bool(removed)


def is_curated(store: Store, src: int, dst: int) -> bool:
    ids = {r["id"]: r["arxiv_id"] for r in store.all("SELECT id, arxiv_id FROM papers WHERE id IN (?, ?)", (src, dst))}
    return any(e["before"] == ids.get(src) and e["after"] == ids.get(dst) for e in curated())


def _id(paper: Paper | int) -> int:
    return paper if isinstance(paper, int) else paper.id
