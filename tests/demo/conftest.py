"""A demo library built once per test module (building takes about a second)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from kb.demo import build
    from kb.store import Store

    home = tmp_path_factory.mktemp("demo") / "kbhome"
    store = Store.open(home)
    result = build(store, home)
    yield home, store, result
    store.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every demo paper rendered to a PDF file: {arxiv_id: path}."""
    from kb.demo import corpus
    from kb.demo.render import render

    folder = tmp_path_factory.mktemp("pdfs")
    library = corpus.by_arxiv()
    out = {}
    for paper in corpus.papers():
        path = folder / f"{paper.arxiv_id}.pdf"
        path.write_bytes(render(paper, library))
        out[paper.arxiv_id] = path
    return out
