"""Every real Zotero database in ../shared/fixtures/zotero_real/sqlite (Zotero 4.x to 7.0.24, made by
Zotero and its users) synced, and what kb imported compared with what the database holds, read
here independently with plain SQL: live items (trash excluded, and what hangs below a trashed
item), titles, authors in Zotero's order, years, DOIs, arXiv ids, tags, collections,
attachments, annotations and child notes."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from kb.zotero.sqlite_reader import SqliteSource
from kb.zotero.sync import sync

REAL = ["z4_thiagohonorato/zotero.sqlite", "z5.0.37_Chen-Zhihui/zotero.sqlite", "z6.0.4_ganeshbelgur/zotero.sqlite",
        "z6.0.4_ganeshbelgur/zotero.sqlite.109.bak", "z7.0.24_yuanluochen/zotero.sqlite"]
CJK = re.compile(r"[\u4e00-\u9fff]")


class Expected:
    """What Zotero shows for one database, read with SQL that knows each version's layout."""

    def __init__(self, path: Path):
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        cols = lambda t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")}  # noqa: E731
        parent = "parentItemID" if "parentItemID" in cols("itemAttachments") else "sourceItemID"
        types = dict(conn.execute("SELECT i.itemID, t.typeName FROM items i JOIN itemTypes t USING (itemTypeID)"))
        keys = dict(conn.execute("SELECT itemID, key FROM items"))
        libs = "libraries.type" if "type" in cols("libraries") else None
        user = conn.execute(f"SELECT libraryID FROM libraries WHERE {libs} = 'user'").fetchone() if libs else None
        in_user = {r[0] for r in conn.execute("SELECT itemID FROM items WHERE libraryID IS NULL OR libraryID = ?", (user[0] if user else -1,))}
        parents = {}
        for table in ("itemAttachments", "itemNotes") + (("itemAnnotations",) if "itemAnnotations" in tables else ()):
            column = "parentItemID" if "parentItemID" in cols(table) else "sourceItemID"
            parents.update(dict(conn.execute(f"SELECT itemID, {column} FROM {table} WHERE {column} IS NOT NULL")))
        trash = {r[0] for r in conn.execute("SELECT itemID FROM deletedItems")}

        def trashed(item_id):
            while item_id is not None:
                if item_id in trash:
                    return True
                item_id = parents.get(item_id)
            return False

        live = {i for i in in_user if not trashed(i)}
        fields = {}
        for item_id, name, value in conn.execute("SELECT d.itemID, f.fieldName, v.value FROM itemData d JOIN fields f USING (fieldID) JOIN itemDataValues v USING (valueID)"):
            fields.setdefault(item_id, {})[name] = value
        mime = "contentType" if "contentType" in cols("itemAttachments") else "mimeType"
        attachments = {r[0]: r for r in conn.execute(f"SELECT itemID, {parent}, {mime} FROM itemAttachments")}
        self.items = {keys[i]: i for i in live if types[i] not in ("attachment", "note", "annotation")}
        self.standalone_pdfs = {keys[i] for i in live if i in attachments and attachments[i][1] is None and attachments[i][2] == "application/pdf"}
        self.attachments = {keys[i] for i in live if i in attachments}
        self.annotations = {keys[r[0]] for r in conn.execute("SELECT itemID FROM itemAnnotations")} & {keys[i] for i in live} if "itemAnnotations" in tables else set()
        note_parent = "parentItemID" if "parentItemID" in cols("itemNotes") else "sourceItemID"
        self.notes = {keys[r[0]] for r in conn.execute(f"SELECT itemID, {note_parent} FROM itemNotes WHERE {note_parent} IS NOT NULL") if r[0] in live}
        self.titles = {k: (fields.get(i, {}).get("title") or "").strip() for k, i in self.items.items()}
        self.years = {k: int(d[:4]) if d[:4].isdigit() and d[:4] != "0000" else None
                      for k, i in self.items.items() for d in [fields.get(i, {}).get("date") or ""]}
        # Item types without a DOI field keep it in Extra as `DOI: …` (Zotero shows it there).
        self.dois = {k: (fields.get(i, {}).get("DOI") or next((line.split(":", 1)[1] for line in (fields.get(i, {}).get("extra") or "").splitlines()
                                                                if line.lower().startswith("doi:")), "")).strip().lower() or None
                     for k, i in self.items.items()}
        self.arxiv = {k: m.group(1) for k, i in self.items.items()
                      for m in [re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", fields.get(i, {}).get("url") or "")] if m}
        if "creatorData" in tables:
            people = "SELECT ic.itemID, cd.firstName, cd.lastName, cd.fieldMode, ct.creatorType FROM itemCreators ic JOIN creators c USING (creatorID) JOIN creatorData cd USING (creatorDataID) JOIN creatorTypes ct USING (creatorTypeID) ORDER BY ic.itemID, ic.orderIndex"
        else:
            people = "SELECT ic.itemID, c.firstName, c.lastName, c.fieldMode, ct.creatorType FROM itemCreators ic JOIN creators c USING (creatorID) JOIN creatorTypes ct USING (creatorTypeID) ORDER BY ic.itemID, ic.orderIndex"
        creators: dict[int, list[tuple[str, str]]] = {}
        for item_id, first, last, mode, role in conn.execute(people):
            first, last = (first or "").strip(), (last or "").strip()
            if mode == 1:
                name = last
            elif CJK.search(first + last) and not re.search(r"[A-Za-z]", first + last):
                name = last + first  # as Zotero shows a Chinese name: family name first, no space
            else:
                name = f"{first} {last}".strip()
            creators.setdefault(item_id, []).append((role, name))
        self.authors = {}
        for k, i in self.items.items():
            people_of = creators.get(i, [])
            self.authors[k] = [n for r, n in people_of if r == "author"] or [n for _, n in people_of]
        self.tags = {k: set() for k in self.items}
        for item_id, name in conn.execute("SELECT it.itemID, t.name FROM itemTags it JOIN tags t USING (tagID)"):
            if keys.get(item_id) in self.tags and item_id in live:
                self.tags[keys[item_id]].add(name)
        gone = {r[0] for r in conn.execute("SELECT collectionID FROM deletedCollections")} if "deletedCollections" in tables else set()
        rows = conn.execute("SELECT collectionID, key, collectionName, parentCollectionID FROM collections").fetchall()
        parent_of = {r[0]: r[3] for r in rows}

        def collection_live(cid):
            while cid is not None:
                if cid in gone:
                    return False
                cid = parent_of.get(cid)
            return True

        self.collections = {r[1]: r[2] for r in rows if collection_live(r[0])}
        ckeys = {r[0]: r[1] for r in rows}
        self.memberships = {(ckeys[c], keys[i]) for c, i in conn.execute("SELECT collectionID, itemID FROM collectionItems")
                            if c in ckeys and ckeys[c] in self.collections and keys[i] in self.items}
        by_doi: dict[tuple, list[str]] = {}
        for k in self.items:
            if self.dois[k]:
                by_doi.setdefault((self.dois[k], self.titles[k].lower()), []).append(k)
        self.true_duplicates = sum(len(v) - 1 for v in by_doi.values())
        conn.close()


def _sync_copy(store, shared, tmp_path, name):
    """The database as a user's data directory (a copy: the shared fixture is read-only)."""
    src = shared / "fixtures/zotero_real/sqlite" / name
    return sync(store, SqliteSource(src, data_dir=src.parent), match=False), Expected(src)


@pytest.mark.parametrize("name", REAL)
def test_real_database_matches_what_zotero_holds(store, shared, tmp_path, name):
    report, want = _sync_copy(store, shared, tmp_path, name)
    lib = "sqlite"
    got_items = {r["key"]: r for r in store.all("SELECT * FROM zotero_items WHERE library = ? AND item_type NOT IN ('attachment','annotation','note')", (lib,))}
    assert set(got_items) == set(want.items), name
    assert {k: r["title"] for k, r in got_items.items()} == want.titles
    assert {k: r["doi"] for k, r in got_items.items()} == want.dois
    for key, arxiv_id in want.arxiv.items():
        assert got_items[key]["arxiv_id"] == arxiv_id
    papers = {r["id"]: r for r in store.all("SELECT * FROM papers")}
    assert all(r["paper_id"] in papers for r in got_items.values())
    for key, row in got_items.items():
        paper = papers[row["paper_id"]]
        if paper["zotero_key"] == key:  # a true duplicate's second item links to the first one's paper
            assert json.loads(paper["authors"]) == want.authors[key], key
            assert paper["year"] == want.years[key], key
    # Every live item is a paper; only true duplicates (same DOI and title) share one; standalone PDFs are papers too.
    standalone = {r["key"]: r["paper_id"] for r in store.all("SELECT key, paper_id FROM zotero_items WHERE item_type = 'attachment' AND parent_key IS NULL")}
    assert {k for k, p in standalone.items() if p is not None} == want.standalone_pdfs
    assert len(papers) == len(want.items) - want.true_duplicates + len(want.standalone_pdfs)
    assert {r["key"] for r in store.all("SELECT key FROM zotero_items WHERE item_type = 'attachment'")} == want.attachments
    assert {r["zotero_key"] for r in store.all("SELECT zotero_key FROM annotations")} == want.annotations
    assert {r["key"] for r in store.all("SELECT key FROM zotero_items WHERE item_type = 'note'")} == want.notes
    got_tags = {k: set() for k in want.items}
    for r in store.all("SELECT item_key, tag FROM zotero_tags"):
        got_tags[r["item_key"]].add(r["tag"])
    assert got_tags == want.tags
    assert {r["key"]: r["name"] for r in store.all("SELECT key, name FROM zotero_collections")} == want.collections
    assert {(r["collection_key"], r["item_key"]) for r in store.all("SELECT collection_key, item_key FROM zotero_collection_items")} == want.memberships
    # A second sync of the unchanged database changes nothing.
    again = sync(store, SqliteSource(shared / "fixtures/zotero_real/sqlite" / name), match=False)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)


def test_zotero7_chinese_names_standalone_pdfs_and_trash(store, shared):
    report, want = _sync_copy(store, shared, None, "z7.0.24_yuanluochen/zotero.sqlite")
    names = [a for r in store.all("SELECT authors FROM papers") for a in json.loads(r["authors"])]
    assert "宋珣" in names and not any(re.fullmatch(r"[\u4e00-\u9fff]+ [\u4e00-\u9fff]+", n) for n in names)
    keys = [r["citekey"] for r in store.all("SELECT citekey FROM papers")]
    with_authors = [r["citekey"] for r in store.all("SELECT citekey FROM papers WHERE authors != '[]'")]
    assert len(with_authors) >= 12 and not any(k.startswith("anon") for k in with_authors)
    assert "song2020jiyu" in keys  # 宋珣 2020 基于运动学建模的自动瞄准系统: pinyin family name and first title word
    # The standalone PDF in the trash and its six annotations are not imported, and say nothing.
    assert "6ZMYANI3" not in {r["key"] for r in store.all("SELECT key FROM zotero_items")}
    assert not any("6ZMYANI3" in w or "belongs to no known paper" in w for w in report.warnings)
    # A standalone PDF that is on disk got its metadata from the PDF; one that is not, Zotero's title.
    titles = {r["key"]: r["title"] for r in store.all("SELECT z.key, p.title FROM zotero_items z JOIN papers p ON p.id = z.paper_id WHERE z.parent_key IS NULL AND z.item_type = 'attachment'")}
    assert titles["9P6ZJ4V6"] == "国科大算法分析与设计讲义"
    assert len(want.standalone_pdfs) == 5 and set(titles) == want.standalone_pdfs


def test_annotations_are_kept_when_the_pdf_is_missing(store, shared, tmp_path):
    """The z7 user's trashed standalone PDF, restored from the trash: its file was never synced to
    this machine, and its six annotations are kept all the same; the file comes on a later sync."""
    data_dir = tmp_path / "Zotero"
    data_dir.mkdir()
    shutil.copyfile(shared / "fixtures/zotero_real/sqlite/z7.0.24_yuanluochen/zotero.sqlite", data_dir / "zotero.sqlite")
    conn = sqlite3.connect(data_dir / "zotero.sqlite")
    conn.execute("DELETE FROM deletedItems WHERE itemID = (SELECT itemID FROM items WHERE key = '6ZMYANI3')")
    conn.commit()
    conn.close()
    report = sync(store, SqliteSource(data_dir / "zotero.sqlite"), match=False)
    paper_id = store.scalar("SELECT paper_id FROM zotero_items WHERE key = '6ZMYANI3'")
    assert paper_id is not None
    assert store.scalar("SELECT count(*) FROM annotations WHERE paper_id = ?", (paper_id,)) == 6
    assert any("not available yet" in w for w in report.warnings)
    # The file arrives (Zotero downloaded it): the next sync attaches it.
    folder = data_dir / "storage" / "6ZMYANI3"
    folder.mkdir(parents=True)
    from conftest import PDF

    (folder / "C++ Primer Plus, 6th edition (Stephen Prata) .pdf").write_bytes(PDF)
    later = sync(store, SqliteSource(data_dir / "zotero.sqlite"), match=False)
    assert later.files >= 1
    assert store.scalar("SELECT count(*) FROM attachments WHERE paper_id = ?", (paper_id,)) == 1
    assert store.scalar("SELECT count(*) FROM annotations WHERE paper_id = ?", (paper_id,)) == 6


def test_true_duplicates_share_one_paper_and_keep_both_keys(store, shared):
    _sync_copy(store, shared, None, "z6.0.4_ganeshbelgur/zotero.sqlite")
    rows = store.all("SELECT key, paper_id FROM zotero_items WHERE key IN ('9QF5HUMQ', 'VMKYU2FT')")
    assert len(rows) == 2 and rows[0]["paper_id"] == rows[1]["paper_id"]


def test_zotero4_layout(store, shared):
    """Zotero 4 (userdata 77): creators through creatorData, libraryID NULL, sourceItemID, mimeType."""
    report, want = _sync_copy(store, shared, None, "z4_thiagohonorato/zotero.sqlite")
    assert len(want.items) == 62
    assert store.scalar("SELECT count(*) FROM zotero_items WHERE item_type NOT IN ('attachment','annotation','note')") == 62
    authors = {r["key"]: json.loads(r["authors"]) for r in store.all("SELECT z.key, p.authors FROM zotero_items z JOIN papers p ON p.id = z.paper_id")}
    assert sum(1 for k in want.items if authors.get(k)) == sum(1 for k in want.items if want.authors[k]) > 50
