"""zotero.sqlite built from Zotero's schema (7.0.32 and 10.0.0), a locked WAL database, and the
real Zotero-made database."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import PDF
from zotero_db import ZoteroDB

from kb.zotero.sqlite_reader import SqliteSource
from kb.zotero.sync import sync


def _build(tmp_path, shared, version):
    data_dir = tmp_path / f"zotero-{version}"
    data_dir.mkdir()
    db = ZoteroDB(data_dir / "zotero.sqlite", shared / "fixtures/zotero_schema" / f"zotero-{version}")
    coll = db.add_collection("Month 1")
    lora_id, lora = db.add_paper("LoRA: Low-Rank Adaptation of Large Language Models", type_name="preprint",
                                 authors=("Edward Hu", "Yelong Shen"), fields={"date": "2021-06-17", "url": "https://arxiv.org/abs/2106.09685"},
                                 tags=("peft", "to-read"), collections=(coll,))
    kd_id, _ = db.add_paper("Distilling the Knowledge in a Neural Network", type_name="conferencePaper",
                            authors=("Geoffrey Hinton",), fields={"extra": "DOI: 10.48550/arXiv.1503.02531", "proceedingsTitle": "NIPS Deep Learning Workshop", "date": "2015"})
    gone_id, _ = db.add_paper("A Paper In The Trash", fields={"date": "2020"})
    db.trash(gone_id)
    att_id, att = db.add_attachment(lora_id, "storage:lora.pdf", link_mode=1)
    (data_dir / "storage" / att).mkdir(parents=True)
    (data_dir / "storage" / att / "lora.pdf").write_bytes(PDF)
    (data_dir / "storage" / att / ".zotero-ft-cache").write_text("LoRA freezes the pretrained weights", encoding="utf-8")
    linked = tmp_path / "linked.pdf"
    linked.write_bytes(PDF)
    db.add_attachment(kd_id, str(linked), link_mode=2)
    db.add_attachment(kd_id, "attachments:papers/kd.pdf", link_mode=2)
    db.add_annotation(att_id, "low intrinsic rank", comment="why?", color="#5fb236", page_label="iv", page_index=3)
    db.add_annotation(att_id, "", kind=2, comment="a sticky note", page_label="5", page_index=4)
    db.commit()
    return db, data_dir, {"lora": lora, "att": att}


@pytest.mark.parametrize("version", ["7.0.32", "10.0.0"])
def test_schema_databases(store, tmp_path, shared, version):
    db, data_dir, keys = _build(tmp_path, shared, version)
    base = tmp_path / "base"
    (base / "papers").mkdir(parents=True)
    (base / "papers" / "kd.pdf").write_bytes(PDF)
    report = sync(store, SqliteSource(data_dir / "zotero.sqlite", base_dir=base), match=False)
    assert (report.added, report.files, report.annotations, report.fulltext) == (2, 3, 2, 1)
    lora = store.one("SELECT * FROM papers WHERE zotero_key = ?", (keys["lora"],))
    assert lora["arxiv_id"] == "2106.09685" and lora["year"] == 2021
    kd = store.one("SELECT * FROM papers WHERE title LIKE 'Distilling%'")
    assert kd["doi"] == "10.48550/arxiv.1503.02531" and kd["arxiv_id"] == "1503.02531"
    assert kd["venue"] == "NIPS Deep Learning Workshop"  # proceedingsTitle through the base-field mapping
    assert store.one("SELECT 1 FROM papers WHERE title = 'A Paper In The Trash'") is None
    files = sorted(r["path"] for r in store.all("SELECT path FROM attachments"))
    assert files == sorted([str(base / "papers/kd.pdf"), str(tmp_path / "linked.pdf"), str(data_dir / "storage" / keys["att"] / "lora.pdf")])
    notes = store.all("SELECT type, text, comment, color, page_label, page_index FROM annotations ORDER BY page_index")
    assert [tuple(n) for n in notes] == [("highlight", "low intrinsic rank", "why?", "#5fb236", "iv", 3), ("note", None, "a sticky note", "#ffd400", "5", 4)]
    assert sorted(r["tag"] for r in store.all("SELECT tag FROM zotero_tags")) == ["peft", "to-read"]
    assert store.scalar("SELECT text FROM zotero_fulltext") == "LoRA freezes the pretrained weights"
    # Deleting in Zotero (trash) is picked up on the next read.
    lora_item = db.conn.execute("SELECT itemID FROM items WHERE key = ?", (keys["lora"],)).fetchone()[0]
    db.trash(lora_item)
    db.commit()
    again = sync(store, SqliteSource(data_dir / "zotero.sqlite", base_dir=base), match=False)
    assert again.deleted == 4 and again.added == 0  # the item, and its PDF and two annotations with it (Zotero hides them too)
    assert store.scalar("SELECT zotero_key FROM papers WHERE id = ?", (lora["id"],)) is None


def test_locked_wal_database_is_read_from_a_copy(store, tmp_path, shared):
    db, data_dir, _ = _build(tmp_path, shared, "10.0.0")
    db.conn.close()
    zotero = sqlite3.connect(data_dir / "zotero.sqlite")
    zotero.execute("PRAGMA journal_mode = WAL")
    zotero.execute("PRAGMA wal_autocheckpoint = 0")
    zotero.execute("PRAGMA locking_mode = EXCLUSIVE")
    writer = ZoteroDB.__new__(ZoteroDB)
    writer.conn, writer.rng, writer.keys = zotero, __import__("random").Random(5), set()
    writer.add_paper("Attention Is All You Need", fields={"url": "https://arxiv.org/abs/1706.03762", "date": "2017"})
    zotero.commit()
    assert (data_dir / "zotero.sqlite-wal").stat().st_size > 0
    with pytest.raises(sqlite3.OperationalError):
        sqlite3.connect(data_dir / "zotero.sqlite", timeout=0).execute("SELECT count(*) FROM items").fetchone()
    report = sync(store, SqliteSource(data_dir / "zotero.sqlite"), match=False, files=False)
    assert report.added == 3  # the two papers, and the one only in the WAL
    assert store.scalar("SELECT arxiv_id FROM papers WHERE title = 'Attention Is All You Need'") == "1706.03762"
    zotero.close()


def test_real_zotero_database(store, shared):
    src = shared / "fixtures/zotero_sqlite_papis"
    report = sync(store, SqliteSource(src / "zotero.sqlite"), match=False)
    assert (report.added, report.files, report.warnings) == (5, 4, [])
    paper = store.one("SELECT * FROM papers WHERE zotero_key = 'IH8J2JJP'")
    assert paper["title"] == "Review of summation-by-parts schemes for initial–boundary-value problems"
    assert paper["doi"] == "10.1016/j.jcp.2014.02.031" and paper["year"] == 2014 and paper["venue"] == "Journal of Computational Physics"
    import json

    assert json.loads(paper["authors"]) == ["Magnus Svärd", "Jan Nordström"]
    path = store.scalar("SELECT path FROM attachments WHERE paper_id = ?", (paper["id"],))
    assert path.endswith("storage/WN7WJBGS/Svärd and Nordström - 2014 - Review of summation-by-parts schemes for initial–b.pdf")
    assert sync(store, SqliteSource(src / "zotero.sqlite"), match=False).unchanged == 9
