"""A misbehaving Zotero server on 127.0.0.1 (web and local API): each case ends in a clear message,
within bounded time and memory, and never loses or wrongly deletes what is stored."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from conftest import PDF
from fake_zotero import Fault, attachment_data, paper_data

from kb.zotero.errors import Unreachable
from kb.zotero.sync import sync
from kb.zotero.web import RetryPolicy, WebSource, retry_after_seconds


def _source(fake, **policy):
    return WebSource(library_id=fake.library_id, api_key=fake.api_key, endpoint=fake.url,
                     policy=RetryPolicy(**{"timeout_s": 0.5, "attempts": 2, "backoff_s": 0.01, **policy}))


def _papers(fake, n):
    return [fake.put_item(paper_data(f"Paper {i} on sparse attention")) for i in range(n)]


@pytest.mark.parametrize("body, content_type", [
    (b'{"message": "not a list"}', "application/json"),  # a JSON object with status 200
    (None, "text/html"),  # the right JSON, labelled as a web page
])
def test_a_page_that_is_not_a_list_fails_the_sync_and_keeps_the_version(store, fake, web_source, body, content_type):
    _papers(fake, 150)
    assert sync(store, web_source, match=False).added == 150
    stored = fake.version
    _papers(fake, 120)
    page = body or json.dumps([fake.items[k] for k in list(fake.items)[150:250]]).encode()
    fake.faults.append(Fault("start=100", status=200, body=page, headers={"Content-Type": content_type, "Total-Results": "120"}, times=5))
    second = sync(store, web_source, match=False)
    assert second.incomplete and "not a list" in second.incomplete[0]
    assert second.version == stored and second.deleted == 0  # never moved past items it did not read
    fake.faults.clear()
    third = sync(store, web_source, match=False)
    assert not third.incomplete and third.version == fake.version
    assert store.scalar("SELECT count(*) FROM zotero_items") == 270


def test_cli_says_the_sync_is_incomplete(cli, fake):
    _papers(fake, 130)
    fake.faults.append(Fault("start=100", status=200, body=b'{"oops": 1}', headers={"Content-Type": "application/json"}, times=5))
    assert cli("zotero", "setup", "--api-key", fake.api_key, "--library-id", fake.library_id, "--endpoint", fake.url)[0] == 0
    code, out, err = cli("sync")
    assert code == 7 and "error: the sync is incomplete: listing items: the page at 100 is not a list" in err
    assert "Traceback" not in err and "130 added" not in out and "100 added" in out


def test_a_lower_library_version_means_a_full_resync(store, fake, web_source):
    _papers(fake, 5)
    assert sync(store, web_source, match=False).version == 5
    # The server is restored from an older backup: versions restart lower, and a new item gets version 3.
    restored = list(fake.items)[:2]
    fake.items = {k: fake.items[k] for k in restored}
    fake.version = 2
    new = fake.put_item(paper_data("Mixture of Experts, restored"))
    report = sync(store, web_source, match=False)
    assert any("went back from 5 to 3" in w for w in report.warnings)
    assert store.one("SELECT 1 FROM zotero_items WHERE key = ?", (new,)) is not None
    assert report.deleted == 3 and report.version == 3
    assert store.scalar("SELECT count(*) FROM zotero_items") == 3


@pytest.mark.parametrize("fault, words", [
    (Fault("/items", body=b"[" + b" " * 400 + b"]", drip_s=0.02, times=9), "took longer than 1 s"),  # slow drip
    (Fault("/items", header_drip_s=0.02, times=9), "took longer than 1 s"),  # headers dripped (each read is quick)
    (Fault("/items", endless=True, times=9), "larger than 1 MiB"),  # an endless body
    (Fault("/items", gzip_bomb_mb=64, times=9), "larger than 1 MiB"),  # a gzip bomb
    (Fault("/items", status=200, body=b"[]", headers={"Backoff": "86400"}, times=9), "asks to wait 24.0 h"),
    (Fault("/items", status=429, body=b"slow down", headers={"Retry-After": "86400"}, times=9), "asks to wait 24.0 h"),
])
def test_each_request_is_bounded_in_time_and_size(store, fake, fault, words):
    _papers(fake, 3)
    fake.faults.append(fault)
    source = _source(fake, deadline_s=1.0, max_bytes=2**20, max_wait_s=60)
    tracemalloc.start()
    t0 = time.monotonic()
    with pytest.raises(Unreachable) as err:
        sync(store, source, match=False)
    took = time.monotonic() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    source.close()
    assert words in err.value.message and err.value.hint
    assert took < 5
    assert peak < 24 * 2**20  # a 64 MiB bomb or an endless body is never held whole
    assert store.scalar("SELECT count(*) FROM zotero_items") == 0


def test_total_results_of_a_trillion_ends_at_the_short_page(store, fake, web_source):
    _papers(fake, 3)
    page = json.dumps(list(fake.items.values())).encode()
    fake.faults.append(Fault("/items?", status=200, body=page, headers={"Content-Type": "application/json", "Total-Results": str(10**12)}, times=10**6))
    report = sync(store, web_source, match=False)
    assert report.added == 3 and not report.incomplete
    assert fake.count("/items?") <= 2


def test_a_next_link_that_loops_back_is_stopped(store, fake, web_source):
    keys = _papers(fake, 100)
    page = json.dumps([fake.items[k] for k in keys]).encode()
    loop = f'<{fake.url}/users/{fake.library_id}/items?start=0&limit=100>; rel="next"'
    fake.faults.append(Fault("/items?", status=200, body=page, times=10**6,
                             headers={"Content-Type": "application/json", "Total-Results": str(10**12), "Link": loop}))
    t0 = time.monotonic()
    report = sync(store, web_source, match=False)
    assert time.monotonic() - t0 < 5 and fake.count("/items?") <= 3
    assert report.added == 100 and "sent the objects at 100 again" in report.incomplete[0]
    assert report.deleted == 0


def test_retry_after_as_an_http_date_is_understood(store, fake, web_source):
    _papers(fake, 2)
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=1), usegmt=True)
    fake.faults.append(Fault("/items?", status=429, body=b"slow down", headers={"Retry-After": soon}, times=1))
    t0 = time.monotonic()
    report = sync(store, web_source, match=False)
    assert report.added == 2 and time.monotonic() - t0 < 5
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30
    assert retry_after_seconds("120") == 120 and retry_after_seconds("soon") is None


def test_a_linked_file_outside_zotero_folders_is_never_read(store, fake, tmp_path):
    secret = tmp_path / "elsewhere" / "private.pdf"
    secret.parent.mkdir()
    secret.write_bytes(PDF)
    base = tmp_path / "papers"
    base.mkdir()
    (base / "mine.pdf").write_bytes(PDF)
    parent = fake.put_item(paper_data("A paper with linked files"))
    fake.put_item(dict(attachment_data(parent, "private.pdf", key="EVILLINK", link_mode="linked_file"), path=str(secret)))
    fake.put_item(dict(attachment_data(parent, "x.pdf", key="DOTDOT01", link_mode="linked_file"), path=str(base / ".." / "elsewhere" / "private.pdf")))
    fake.put_item(dict(attachment_data(parent, "mine.pdf", key="MINELINK", link_mode="linked_file"), path=str(base / "mine.pdf")))
    source = WebSource(library_id=fake.library_id, api_key=fake.api_key, endpoint=fake.url, base_dir=base,
                       policy=RetryPolicy(0.5, 2, 0.01))
    report = sync(store, source, match=False)
    paths = [r["path"] for r in store.all("SELECT path FROM attachments")]
    assert paths == [str(base / "mine.pdf")]
    assert sum("outside Zotero's storage" in w for w in report.warnings) == 2


def test_titles_and_collection_names_are_one_safe_line(store, fake, web_source, cli):
    fake.put_collection("Week 1\n\x1b[2J\x1b[31mEVIL\x1b[0m")
    fake.put_item(paper_data("Attention\r\nIs All \x1b]0;pwned\x07You Need\x00"))
    sync(store, web_source, match=False)
    assert store.scalar("SELECT name FROM zotero_collections") == "Week 1 EVIL"
    assert store.scalar("SELECT title FROM papers") == "Attention Is All You Need"
