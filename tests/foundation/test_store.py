import sqlite3

import pytest

from kb import papers
from kb.errors import Ambiguous, NotFound, StoreError
from kb.store import Store, latest_version


def test_fresh_store_is_wal_with_foreign_keys_and_latest_schema(store):
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.version == latest_version()
    assert store.integrity_ok()


def test_newer_schema_is_refused_without_touching_the_file(home):
    Store.open(home).close()
    db = home / "kb.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer paper-kb"):
        Store.open(home)
    assert db.read_bytes() == before


def test_corrupt_database_gives_a_clear_error(home):
    home.mkdir(parents=True)
    (home / "kb.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="unreadable"):
        Store.open(home)


def test_upsert_deduplicates_by_ids_and_fuzzy_title(store):
    a, created = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="arXiv:2106.09685v2")
    assert created and a.arxiv_id == "2106.09685"
    b, created = papers.upsert(store, title="LoRA: Low Rank Adaptation of Large Language Models", year=2021, authors=["Edward J. Hu"])
    assert not created and b.id == a.id and b.year == 2021 and b.authors == ["Edward J. Hu"]
    c, created = papers.upsert(store, title="Parameter-Efficient Transfer Learning for NLP")
    d, created2 = papers.upsert(store, title="Parameter Efficient Transfer Learning for Natural Language Processing")
    assert created and not created2 and c.id == d.id
    e, created = papers.upsert(store, title="QLoRA: Efficient Finetuning of Quantized LLMs")
    assert created and e.id != a.id
    assert store.scalar("SELECT count(*) FROM papers") == 3


def test_upsert_never_replaces_an_identifier_or_degrades_fields(store):
    a, _ = papers.upsert(store, title="Attention Is All You Need", arxiv_id="1706.03762", year=2017, venue="NeurIPS")
    b, _ = papers.upsert(store, title="Attention Is All You Need", venue="")
    assert b.venue == "NeurIPS" and b.arxiv_id == "1706.03762"


def test_resolve_accepts_id_citekey_arxiv_doi_and_title_fragment(store):
    a, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685", year=2021, authors=["Edward J. Hu"])
    b, _ = papers.upsert(store, title="BERT: Pre-training of Deep Bidirectional Transformers", doi="10.18653/v1/N19-1423", year=2019, authors=["Jacob Devlin"])
    assert a.citekey == "hu2021lora"
    assert papers.resolve(store, str(a.id)).id == a.id
    assert papers.resolve(store, "hu2021lora").id == a.id
    assert papers.resolve(store, "arXiv:2106.09685").id == a.id
    assert papers.resolve(store, "2106.09685v1").id == a.id
    assert papers.resolve(store, "https://doi.org/10.18653/v1/N19-1423").id == b.id
    assert papers.resolve(store, "low-rank adaptation").id == a.id
    with pytest.raises(NotFound):
        papers.resolve(store, "flash attention")
    papers.upsert(store, title="LoRA-FA: memory-efficient low-rank adaptation")
    with pytest.raises(Ambiguous):
        papers.resolve(store, "lora")


def test_status_changes_are_recorded_in_an_append_only_history(store):
    a, _ = papers.upsert(store, title="Distilling the Knowledge in a Neural Network")
    papers.set_status(store, a.id, "reading", at="2026-11-01T10:00:00Z")
    papers.set_status(store, a.id, "read", at="2026-11-02T10:00:00Z")
    papers.set_status(store, a.id, "read", at="2026-11-03T10:00:00Z")
    rows = store.all("SELECT status, at FROM status_history WHERE paper_id = ? ORDER BY id", (a.id,))
    assert [(r["status"], r["at"]) for r in rows] == [("reading", "2026-11-01T10:00:00Z"), ("read", "2026-11-02T10:00:00Z")]
    assert papers.get(store, a.id).status == "read"


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.tx():
            store.execute("INSERT INTO plans (name) VALUES ('x')")
            raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM plans") == 0
