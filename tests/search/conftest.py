"""A small real library, indexed once per session: Hinton et al. 2015 and Vaswani et al. 2017."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb import config as config_mod
from kb import papers

SHARED = Path(os.environ.get("KB_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))


@dataclass
class Library:
    home: Path
    store: object
    config: dict
    distill: int
    transformer: int


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> Library:
    from kb.index.pipeline import run_index
    from kb.store import Store

    home = tmp_path_factory.mktemp("search") / "kbhome"
    store = Store.open(home)
    ids = {}
    for key, title, arxiv, year, status in [
        ("distill", "Distilling the Knowledge in a Neural Network", "1503.02531", 2015, "read"),
        ("transformer", "Attention Is All You Need", "1706.03762", 2017, "unread"),
    ]:
        paper, _ = papers.upsert(store, title=title, arxiv_id=arxiv, year=year, authors=["Someone Else"])
        papers.add_attachment(store, paper.id, str(SHARED / "papers" / f"{arxiv}.pdf"))
        papers.set_status(store, paper.id, status)
        ids[key] = paper.id
    with store.tx():
        plan = store.execute("INSERT INTO plans (name) VALUES ('spring')").lastrowid
        store.execute(
            "INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, week_start, week_end, paper_id) "
            "VALUES (?, 'a', 1, 'paper', 'Attention Is All You Need', 'Attention Is All You Need', 2, 3, ?)",
            (plan, ids["transformer"]),
        )
    config = copy.deepcopy(config_mod.DEFAULTS)
    report = run_index(store, home, config)
    assert report.indexed == 2, report.to_dict()
    yield Library(home, store, config, ids["distill"], ids["transformer"])
    store.close()
