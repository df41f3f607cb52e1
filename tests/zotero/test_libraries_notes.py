"""Group libraries in zotero.sqlite (chosen with `kb zotero setup --group`), collections in the trash,
and Zotero child notes brought into the paper's Markdown note under a marked heading."""

from __future__ import annotations

import json

import pytest
from zotero_db import ZoteroDB

from kb.zotero.sqlite_reader import SqliteSource
from kb.zotero.sync import sync


@pytest.fixture
def zotero(tmp_path, shared):
    data_dir = tmp_path / "Zotero"
    data_dir.mkdir()
    db = ZoteroDB(data_dir / "zotero.sqlite", shared / "fixtures/zotero_schema/zotero-10.0.0")
    mine = db.add_collection("My reading")
    gone = db.add_collection("Old stuff")
    inside_gone = db.add_collection("Older stuff", parent=gone)
    db.conn.execute("INSERT INTO deletedCollections (collectionID) VALUES (?)", (gone,))
    lora_id, lora = db.add_paper("LoRA: Low-Rank Adaptation of Large Language Models", collections=(mine, gone, inside_gone),
                                 fields={"date": "2021", "url": "https://arxiv.org/abs/2106.09685"})
    db.add_note(lora_id, "<h1>Why it works</h1><p>The update has <b>low intrinsic rank</b>.</p><ul><li>r = 4</li></ul>")
    db.add_note(None, "<p>a standalone note is nobody's note</p>")
    group = db.add_group(4711, "NLP reading group")
    group_coll = db.add_collection("Week 1", library_id=group)
    db.add_paper("Attention Is All You Need", library_id=group, collections=(group_coll,), fields={"date": "2017"})
    db.commit()
    return data_dir / "zotero.sqlite", lora


def test_user_and_group_libraries_are_kept_apart(store, zotero):
    path, _ = zotero
    mine = sync(store, SqliteSource(path), match=False)
    assert mine.added == 1
    group = sync(store, SqliteSource(path, group="4711"), match=False)
    assert group.added == 1 and group.library == "sqlite:group:4711"
    assert {r["library"] for r in store.all("SELECT library FROM zotero_items")} == {"sqlite", "sqlite:group:4711"}
    assert store.scalar("SELECT name FROM zotero_collections WHERE library = 'sqlite:group:4711'") == "Week 1"


def test_cli_lists_and_chooses_a_group(cli, zotero):
    path, _ = zotero
    code, out, _ = cli("zotero", "libraries", "--sqlite", str(path), "--json")
    assert code == 0 and json.loads(out) == [{"library": "user", "name": "My Library", "items": 1},
                                             {"library": "group:4711", "name": "NLP reading group", "items": 1}]
    code, out, err = cli("zotero", "setup", "--sqlite", str(path), "--group", "Lab")
    assert code == 2 and "no group library 'Lab'" in err and "4711 (NLP reading group)" in err and "Traceback" not in err
    assert cli("zotero", "setup", "--sqlite", str(path), "--group", "NLP reading group")[0] == 0
    code, out, _ = cli("sync", "--json")
    assert code == 0 and json.loads(out)["library"] == "sqlite:group:4711" and json.loads(out)["added"] == 1


def test_deleted_collections_are_dropped(store, zotero):
    path, lora = zotero
    sync(store, SqliteSource(path), match=False)
    assert [r["name"] for r in store.all("SELECT name FROM zotero_collections WHERE library = 'sqlite'")] == ["My reading"]
    assert store.scalar("SELECT count(*) FROM zotero_collection_items WHERE item_key = ?", (lora,)) == 1


def test_child_notes_go_into_the_paper_note_once(cli, store, zotero, home):
    path, lora = zotero
    assert cli("zotero", "setup", "--sqlite", str(path))[0] == 0
    code, out, _ = cli("sync", "--json")
    assert code == 0 and json.loads(out)["notes"] == 1  # the standalone note is no paper's
    code, out, _ = cli("note", "hu2021lora", "--json")
    assert code == 0
    note = json.loads(out)
    text = open(note["path"], encoding="utf-8").read()
    assert "## Notes (from Zotero)" in text and "<!-- zotero-note:" in text
    assert "### Why it works" in text and "**low intrinsic rank**" in text and "- r = 4" in text
    # The user edits the imported text; importing again adds nothing and keeps the edit.
    edited = text.replace("**low intrinsic rank**", "**low intrinsic rank** (my words)")
    with open(note["path"], "w", encoding="utf-8") as fh:
        fh.write(edited)
    assert cli("sync")[0] == 0
    code, out, _ = cli("note", "hu2021lora", "--json")
    assert json.loads(out)["highlights_added"] == 0
    assert open(note["path"], encoding="utf-8").read() == edited
