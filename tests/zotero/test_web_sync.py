"""pyzotero against the Zotero-like server: full and incremental sync, files, annotations, faults."""

from __future__ import annotations

import json

import pytest
from conftest import PDF
from fake_zotero import Fault, annotation_data, attachment_data, paper_data

from kb import paths
from kb.zotero.errors import AccessDenied, LibraryNotFound, Unreachable
from kb.zotero.sync import sync


def _library(fake, shared):
    """The recorded 20 items plus LoRA with a PDF and two annotations."""
    for obj in json.loads((shared / "fixtures/zotero_api/items_doc.json").read_text()):
        fake.put_item(obj["data"])
    coll = fake.put_collection("Reading plan")
    lora = fake.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685", collections=[coll],
                                    tags=[{"tag": "peft"}]))
    att = fake.put_item(attachment_data(lora, "lora.pdf", key="ATTLORA1"))
    fake.put_file(att, PDF)
    fake.put_item(annotation_data(att, "low intrinsic rank", comment="key idea", color="#ff6666", page_label="4", page_index=3))
    fake.put_item(annotation_data(att, "W = W0 + BA", page_label="5", page_index=4, kind="underline"))
    return lora, att


def test_full_then_incremental_sync(store, fake, web_source, shared):
    lora, att = _library(fake, shared)
    report = sync(store, web_source)
    assert (report.added, report.updated, report.deleted, report.files, report.annotations) == (21, 0, 0, 1, 2)
    assert report.version == fake.version
    assert store.scalar("SELECT count(*) FROM papers WHERE source = 'zotero'") == 21
    paper = store.one("SELECT * FROM papers WHERE zotero_key = ?", (lora,))
    assert paper["arxiv_id"] == "2106.09685" and paper["zotero_library"] == "user:475425"
    pdf = store.one("SELECT path FROM attachments WHERE paper_id = ?", (paper["id"],))["path"]
    assert pdf == str(paths.files_dir(store.home).resolve() / "zotero" / att / "lora.pdf")
    notes = store.all("SELECT type, text, comment, color, page_label, page_index FROM annotations WHERE paper_id = ? ORDER BY page_index", (paper["id"],))
    assert [tuple(n) for n in notes] == [("highlight", "low intrinsic rank", "key idea", "#ff6666", "4", 3),
                                         ("underline", "W = W0 + BA", None, "#ffd400", "5", 4)]
    assert store.scalar("SELECT tag FROM zotero_tags WHERE item_key = ?", (lora,)) == "peft"
    assert store.scalar("SELECT name FROM zotero_collections") == "Reading plan"
    sherlock = store.one("SELECT * FROM papers WHERE doi = '10.2307/2321200'")
    assert sherlock["year"] == 1980 and json.loads(sherlock["authors"]) == ["R. Creighton Buck"]

    # No change: a handful of requests, nothing applied.
    before = fake.count()
    again = sync(store, web_source)
    assert (again.added, again.updated, again.deleted, again.files) == (0, 0, 0, 0)
    assert fake.count() - before == 4  # version, items?since, collections?since, deleted?since
    assert all("since=" in line for line in fake.log[before + 1:])

    # An edit, a new annotation, a deletion.
    fake.edit_item(lora, title="LoRA: Low-Rank Adaptation of Large Language Models (v2)")
    fake.put_item(annotation_data(att, "rank 4 is enough", page_label="7", page_index=6))
    fake.delete_item("PQKBRC33")
    third = sync(store, web_source)
    assert (third.added, third.updated, third.deleted, third.annotations) == (0, 1, 1, 1)
    assert store.scalar("SELECT title FROM papers WHERE id = ?", (paper["id"],)).endswith("(v2)")
    assert store.scalar("SELECT count(*) FROM annotations WHERE paper_id = ?", (paper["id"],)) == 3
    kept = store.one("SELECT * FROM papers WHERE doi = '10.2307/2321200'")
    assert kept is not None and kept["zotero_key"] is None  # the paper stays; only the Zotero link goes


def test_pagination_follows_total_results(store, fake, web_source):
    for i in range(230):
        fake.put_item(paper_data(f"Generated paper number {i} about sparse attention"))
    report = sync(store, web_source, match=False)
    assert report.added == 230
    assert fake.count("/items?") == 4  # the version probe, then 100 + 100 + 30
    assert store.scalar("SELECT count(*) FROM zotero_items") == 230
    assert any("start=200" in line for line in fake.log)


def test_rate_limit_is_waited_out(store, fake, web_source):
    fake.put_item(paper_data("Attention Is All You Need", arxiv="1706.03762"))
    fake.faults.append(Fault("/items", status=429, headers={"Retry-After": "0.3"}, times=1))
    import time

    t0 = time.perf_counter()
    report = sync(store, web_source, match=False)
    assert report.added == 1 and report.warnings == []
    assert time.perf_counter() - t0 >= 0.3


def test_server_errors_are_retried_then_reported(store, fake, web_source):
    fake.put_item(paper_data("Attention Is All You Need", arxiv="1706.03762"))
    fake.faults.append(Fault("/items", status=503, times=2))
    assert sync(store, web_source, match=False).added == 1
    fake.faults.append(Fault("/items", status=500, times=10))
    fake.edit_item(next(iter(fake.items)), title="Attention Is All You Need!")
    with pytest.raises(Unreachable) as info:
        sync(store, web_source, match=False)
    assert "HTTP 500" in info.value.message and "3 times" in info.value.message
    assert store.scalar("SELECT title FROM papers") == "Attention Is All You Need"  # nothing lost


def test_timeouts_are_bounded(store, fake, web_source):
    fake.faults.append(Fault("/items", status=200, delay_s=0.8, times=3))
    with pytest.raises(Unreachable) as info:
        sync(store, web_source, match=False)
    assert "0.5 s" in info.value.message


def test_bad_key_and_missing_library(store, fake, web_source, shared):
    from kb.zotero.web import RetryPolicy, WebSource

    bad = WebSource(library_id=fake.library_id, api_key="wrong", endpoint=fake.url, policy=RetryPolicy(0.5, 2, 0.01))
    with pytest.raises(AccessDenied) as info:
        sync(store, bad)
    assert "wrong" not in str(info.value) and "403" in info.value.message
    missing = WebSource(library_id="999", api_key=fake.api_key, endpoint=fake.url, policy=RetryPolicy(0.5, 2, 0.01))
    with pytest.raises(LibraryNotFound):
        sync(store, missing)


def test_bad_items_and_files_are_warnings(store, fake, web_source):
    good = fake.put_item(paper_data("QLoRA: Efficient Finetuning of Quantized LLMs", arxiv="2305.14314"))
    fake.put_raw({"key": "BROKEN01", "version": 1, "data": {"title": "no type"}}, "BROKEN01")
    cases = {"ZEROBYTE": ("a.pdf", b""), "NOTAPDF1": ("b.pdf", b"<html>login</html>"), "ESCAPE01": ("../../evil.pdf", PDF),
             "MISSING1": ("gone.pdf", None), "GOODFILE": ("ok.pdf", PDF)}
    for key, (name, body) in cases.items():
        fake.put_item(attachment_data(good, name, key=key))
        if body is not None:
            fake.put_file(key, body)
    report = sync(store, web_source, match=False)
    text = "\n".join(report.warnings)
    assert "BROKEN01" in text and "malformed" in text
    assert "ZEROBYTE" in text and "0 bytes" in text
    assert "NOTAPDF1" in text and "not a PDF" in text
    assert "ESCAPE01" in text and "escape" in text
    assert "MISSING1" in text
    assert report.files == 1 and report.added == 1
    assert not (paths.files_dir(store.home) / "evil.pdf").exists()
    assert not any(p.name == "evil.pdf" for p in store.home.rglob("*"))


def test_malformed_page_keeps_the_old_version(store, fake, web_source):
    for i in range(150):
        fake.put_item(paper_data(f"Paper {i} on knowledge distillation"))
    assert sync(store, web_source, match=False).added == 150
    old_version = fake.version
    for i in range(150, 260):
        fake.put_item(paper_data(f"Paper {i} on knowledge distillation"))
    # The second page answers broken JSON on every try: the rest is applied, the sync is incomplete, the version stays.
    fake.faults.append(Fault("start=100", status=200, body=b"[{not json", headers={"Content-Type": "application/json"}, times=3))
    second = sync(store, web_source, match=False)
    assert second.added == 100 and any("page at 100" in w and "not valid JSON" in w for w in second.incomplete)
    assert second.version == old_version  # not advanced: the next sync asks for the same range
    third = sync(store, web_source, match=False)
    assert (third.added, third.unchanged) == (10, 100) and third.version == fake.version
    assert store.scalar("SELECT count(*) FROM zotero_items") == 260


@pytest.mark.parametrize("zotero_version, incremental", [("7.0.32", False), ("10.0.0", True)])
def test_local_api_version_decides_since(store, fake, zotero_version, incremental):
    from kb.zotero.web import RetryPolicy, WebSource

    fake.api_key, fake.zotero_version = None, zotero_version
    first = fake.put_item(paper_data("Attention Is All You Need", arxiv="1706.03762"))
    fake.put_item(paper_data("BERT: Pre-training of Deep Bidirectional Transformers", arxiv="1810.04805"))
    local = WebSource(local=True, endpoint=f"{fake.url}/api", policy=RetryPolicy(0.5, 2, 0.01))
    assert local.library == "local" and local.can_write() is incremental
    assert sync(store, local, match=False).added == 2
    fake.items.pop(first)  # gone without a trace in /deleted: only a full listing notices
    fake.put_item(paper_data("Distilling the Knowledge in a Neural Network"))
    before = fake.count()
    report = sync(store, local, match=False)
    listed = [line for line in fake.log[before:] if "/items?" in line and "start=" in line]
    assert all(("since=" in line) is incremental for line in listed)
    assert report.added == 1 and report.deleted == (0 if incremental else 1)
