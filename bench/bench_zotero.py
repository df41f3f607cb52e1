"""Zotero: sync N items from the local Zotero-like server, a no-change re-sync (request count),
reading a zotero.sqlite of M items, every real database and export in ../shared/fixtures/zotero_real
(items expected vs imported, time), and a 3,725-entry BibTeX export synced then re-synced unchanged
(goal: under 2 s). Sizes: KB_BENCH_ZOTERO_ITEMS (5000), KB_BENCH_ZOTERO_SQLITE (20000),
KB_BENCH_ZOTERO_BIB (3725)."""

from __future__ import annotations

import os
import re
import sqlite3
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
        plan_matching(report, store, shared)
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
        real_libraries(report, shared, Path(tmp))
        big_bibtex(report, shared, Path(tmp), int(os.environ.get("KB_BENCH_ZOTERO_BIB", 3725)))


def plan_matching(report, store, shared: Path) -> None:
    """The seed plans' papers against the synced library by title: kb's TitleIndex (rapidfuzz's
    cdist) against scoring pair by pair with `titles.similarity`, the same numbers either way."""
    from kb import titles
    from kb.plans.importer import import_plan
    from kb.zotero.match import _zotero_items, match_plan_items

    for seed in sorted((shared / "seeds").glob("*.txt")):
        import_plan(store, seed)
    items = store.all("SELECT title, text FROM plan_items WHERE kind = 'paper'")
    pool = _zotero_items(store)
    norms = [titles.normalize(z["title"]) for z in pool]
    queries = [titles.normalize(i["title"] or i["text"] or "") for i in items]

    def pairwise():
        return [[titles.similarity(q, n) for n in norms] for q in queries]

    def indexed():
        return titles.TitleIndex(norms).scores_many(queries)

    label = f"{len(items)} plan papers x {len(pool)} Zotero titles"
    naive = report.time(f"title scores pair by pair, {label}", pairwise, repeats=1, warmup=0, note="the naive variant")
    fast = report.time(f"title scores by TitleIndex, {label}", indexed, repeats=3)
    report.time(f"match_plan_items, {label}", lambda: match_plan_items(store), repeats=1)
    report.ratio("pair by pair / TitleIndex (title scoring)", naive.median / fast.median, "> 1")


def real_libraries(report, shared: Path, tmp: Path) -> None:
    """Each real database: regular items and standalone PDFs Zotero shows (trash excluded, read
    with SQL here) against what one sync imported, and the sync's time."""
    from kb.store import Store
    from kb.zotero.sqlite_reader import SqliteSource
    from kb.zotero.sync import sync

    real = shared / "fixtures" / "zotero_real" / "sqlite"
    for n, path in enumerate(sorted([*real.glob("*/zotero.sqlite"), *real.glob("*/zotero.sqlite.*.bak")])):
        want = _shown_by_zotero(path)
        store = Store.open(tmp / f"real{n}")
        t0 = time.perf_counter()
        result = sync(store, SqliteSource(path), match=False)
        took = time.perf_counter() - t0
        got = store.scalar("SELECT count(*) FROM zotero_items WHERE paper_id IS NOT NULL AND item_type NOT IN ('note', 'annotation') AND (item_type != 'attachment' OR parent_key IS NULL)")
        label = f"{path.parent.name}/{path.name}"
        report.add(f"sync {label}", [took], note=f"items+standalone PDFs: {want} expected, {got} imported; "
                   f"{result.annotations} annotations, {result.notes} notes, {len(result.missing_files)} files not on disk")
        store.close()


def _shown_by_zotero(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    parent = "parentItemID" if "parentItemID" in {r[1] for r in conn.execute("PRAGMA table_info(itemAttachments)")} else "sourceItemID"
    mime = "contentType" if parent == "parentItemID" else "mimeType"
    trashed = {r[0] for r in conn.execute("SELECT itemID FROM deletedItems")}
    n = sum(1 for item_id, kind in conn.execute("SELECT itemID, typeName FROM items JOIN itemTypes USING (itemTypeID)")
            if kind not in ("note", "attachment", "annotation") and item_id not in trashed)
    n += sum(1 for item_id, in conn.execute(f"SELECT itemID FROM itemAttachments WHERE {parent} IS NULL AND {mime} = 'application/pdf'")
             if item_id not in trashed)
    conn.close()
    return n


def big_bibtex(report, shared: Path, tmp: Path, size: int) -> None:
    """The 527-entry real export repeated (keys, titles and DOIs made distinct) to `size` entries."""
    from kb.store import Store
    from kb.zotero.bibtex import BibtexSource
    from kb.zotero.sync import sync

    text = (shared / "fixtures" / "zotero_real" / "bibtex" / "papis-zotero_jorgsk.bib").read_text(encoding="utf-8")
    entries = ["@" + e for e in re.split(r"(?m)^@", text) if e.strip().startswith(("article", "book", "inproceedings", "misc", "incollection", "phdthesis", "techreport"))]
    out = []
    for i in range(size):
        copy, entry = divmod(i, len(entries))
        e = entries[entry]
        if copy:
            e = re.sub(r"^(@\w+\{)([^,]+),", rf"\1\2_c{copy},", e, count=1)
            e = re.sub(r"(?m)^(\s*title = \{)", rf"\1Part {copy}: ", e, count=1)
            e = re.sub(r"(?m)^(\s*doi = \{[^}]*)\}", rf"\1.c{copy}}}", e, count=1)
        out.append(e)
    bib = tmp / "big.bib"
    bib.write_text("\n".join(out), encoding="utf-8")
    store = Store.open(tmp / "bigbib")
    cache = tmp / "bigbib-cache.json"
    t0 = time.perf_counter()
    first = sync(store, BibtexSource(bib, cache_path=cache), match=False)
    report.add(f"BibTeX export, {size} entries: first sync", [time.perf_counter() - t0], note=f"{first.added} added")
    report.time(f"BibTeX export, {size} entries: unchanged re-sync", lambda: sync(store, BibtexSource(bib, cache_path=cache), match=False),
                repeats=3, warmup=0, note="goal < 2 s (skipped by the file's hash)")
    with bib.open("a", encoding="utf-8") as fh:
        fh.write("\n@article{bench_new_2026,\n  title = {One {New} Entry},\n  author = {M{\\\"u}ller, Jan},\n  year = {2026}\n}\n")
    t0 = time.perf_counter()
    edited = sync(store, BibtexSource(bib, cache_path=cache), match=False)
    report.add(f"BibTeX export, {size} entries: one entry added", [time.perf_counter() - t0],
               note=f"{edited.added} added, {edited.unchanged} unchanged (the others from the parse cache)")
    store.close()
