"""Recorded Zotero Web API responses (zotero/web-library's fixtures) served from 127.0.0.1: a PDF
whose file the server does not have (404) keeps its annotations and is fetched once it is
there; collections and items in Zotero's trash are not imported."""

from __future__ import annotations

import json

from conftest import PDF
from fake_zotero import attachment_data, paper_data

from kb.zotero.sync import sync


def _recorded(shared, name):
    return json.loads((shared / "fixtures/zotero_real/webapi" / name).read_text(encoding="utf-8"))


def test_annotations_are_kept_when_the_server_has_no_file(store, fake, web_source, shared):
    fake.put_item(paper_data("Effects of diet restriction on life span and age-related changes in dogs", key="VR82JUX8", year=2002))
    children = _recorded(shared, "test-user-children.json")
    annotations = _recorded(shared, "test-user-attachment-annotations.json")
    for obj in children + annotations:
        fake.put_item(obj["data"])
    report = sync(store, web_source, match=False)
    paper_id = store.scalar("SELECT paper_id FROM zotero_items WHERE key = 'VR82JUX8'")
    assert store.scalar("SELECT count(*) FROM annotations WHERE paper_id = ?", (paper_id,)) == len(annotations) == 4
    assert {r["type"] for r in store.all("SELECT type FROM annotations")} == {"highlight", "note", "image"}
    assert any("VG79HDDM" in w and "not available yet" in w for w in report.warnings)
    assert report.files == 0
    # Nothing changed: the next sync asks for no file (a WebDAV file would 404 every time).
    before = fake.count("/file")
    assert sync(store, web_source, match=False).files == 0 and fake.count("/file") == before
    # The file is uploaded later: Zotero sets the attachment's md5 (a new version), and the next sync fetches it.
    fake.put_file("VG79HDDM", PDF)
    fake.edit_item("VG79HDDM", md5="9a0364b9e99bb480dd25e1f0284c8555", mtime=1718000000000)
    later = sync(store, web_source, match=False)
    assert later.files == 1 and store.scalar("SELECT count(*) FROM attachments WHERE paper_id = ?", (paper_id,)) == 1
    assert store.scalar("SELECT count(*) FROM annotations WHERE paper_id = ?", (paper_id,)) == 4


def test_trashed_collections_and_items_are_not_imported(store, fake, web_source, shared):
    state = _recorded(shared, "desktop-test-user-trash-view.json")["libraries"]["u1"]["dataObjects"]
    for key, obj in state.items():
        data = {k: v for k, v in obj.items() if not k.startswith("@@")}
        if "name" in data:
            fake.collections[key] = {"key": key, "version": data["version"], "meta": {}, "data": data}
        else:
            fake.put_item(data)
    fake.put_item(paper_data("A live paper", collections=["SGQRGR2J"]))
    report = sync(store, web_source, match=False)
    names = {r["name"] for r in store.all("SELECT name FROM zotero_collections")}
    assert len(names) == 8 and "Trashed Collection" not in names and "Dogs" in names
    assert store.scalar("SELECT count(*) FROM papers") == 1 and report.added == 1
    assert store.one("SELECT 1 FROM papers WHERE title LIKE 'How to Tell If Your Cat%'") is None


def test_local_api_picks_up_a_file_zotero_downloads_later(store, fake, tmp_path, shared):
    """Zotero's "download files as needed": the file appears in storage/ without any change to
    the attachment; the local API's next sync finds it."""
    from kb.zotero.web import RetryPolicy, WebSource

    fake.api_key, fake.zotero_version = None, "10.0.0"
    parent = fake.put_item(paper_data("Retriever: Improving Web Search Engine Results Using Clustering", year=2002))
    fake.put_item(attachment_data(parent, "Shearin and Doty - 2002 - Retriever.pdf", key="N2PJUHD6"))
    for obj in _recorded(shared, "test-user-reader-children.json"):
        fake.put_item(obj["data"])
    data_dir = tmp_path / "Zotero"
    local = WebSource(local=True, endpoint=f"{fake.url}/api", data_dir=data_dir, policy=RetryPolicy(0.5, 2, 0.01))
    first = sync(store, local, match=False)
    assert first.files == 0 and first.annotations == 3
    (data_dir / "storage" / "N2PJUHD6").mkdir(parents=True)
    (data_dir / "storage" / "N2PJUHD6" / "Shearin and Doty - 2002 - Retriever.pdf").write_bytes(PDF)
    later = sync(store, local, match=False)
    assert (later.added, later.updated, later.files) == (0, 0, 1)
    assert store.scalar("SELECT count(*) FROM annotations") == 3
