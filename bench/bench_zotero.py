"""Zotero: sync N items from the local Zotero-like server, a no-change re-sync (request count),
and reading a zotero.sqlite of M items. Sizes: KB_BENCH_ZOTERO_ITEMS (5000), KB_BENCH_ZOTERO_SQLITE (20000)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "zotero"))


def run(report) -> None:
    from fake_zotero import FakeZotero, paper_data
    from zotero_db import ZoteroDB

    from kb.store import Store
    from kb.zotero.sqlite_reader import SqliteSource
    from kb.zotero.sync import sync
    from kb.zotero.web import RetryPolicy, WebSource

    n_items = int(os.environ.get("KB_BENCH_ZOTERO_ITEMS", 5000))
    n_sqlite = int(os.environ.get("KB_BENCH_ZOTERO_SQLITE", 20000))
    shared = Path(os.environ.get("KB_SHARED", REPO.parent / "shared"))
    with tempfile.TemporaryDirectory() as tmp:
        fake = FakeZotero().start()
        for i in range(n_items):
            fake.put_item(paper_data(f"Benchmark paper {i}: sparse mixture of experts variant {i * 7919 % 10007}", doi=f"10.1234/bench.{i}"))
        store = Store.open(Path(tmp) / "home")
        source = WebSource(library_id=fake.library_id, endpoint=fake.url, policy=RetryPolicy(30, 3, 0.1))
        t0 = time.perf_counter()
        first = sync(store, source, match=False)
        report.add(f"web sync, {n_items} items (first)", [time.perf_counter() - t0], note=f"{first.requests} requests")
        before = source.requests
        t0 = time.perf_counter()
        sync(store, source, match=False)
        report.add("web re-sync, no change", [time.perf_counter() - t0])
        report.value("web re-sync, no change: requests", source.requests - before, "requests")
        fake.stop()
        store.close()

        data_dir = Path(tmp) / "zotero"
        data_dir.mkdir()
        db = ZoteroDB(data_dir / "zotero.sqlite", shared / "fixtures/zotero_schema/zotero-10.0.0")
        for i in range(n_sqlite):
            db.add_paper(f"SQLite paper {i}", fields={"date": "2023", "DOI": f"10.9/sq.{i}"}, authors=(f"Author{i % 97} Name",))
        db.commit()
        src = SqliteSource(data_dir / "zotero.sqlite")
        report.time(f"read zotero.sqlite, {n_sqlite} items", lambda: src.fetch(), repeats=3)
