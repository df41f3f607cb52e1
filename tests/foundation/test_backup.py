import io
import tarfile

import pytest

from kb import backup, papers
from kb.errors import BadInput, KbError
from kb.store import Store


def _library(home):
    store = Store.open(home)
    p, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685")
    papers.set_status(store, p.id, "read")
    (home / "notes").mkdir(parents=True, exist_ok=True)
    (home / "notes" / "hu2021lora.md").write_text("# LoRA\nWhat is r? :: the rank\n", encoding="utf-8")
    return store


def test_backup_then_restore_into_a_fresh_home_brings_everything_back(tmp_path):
    home = tmp_path / "a"
    store = _library(home)
    # A write in flight on another connection does not break the snapshot.
    store.conn.execute("BEGIN IMMEDIATE")
    store.conn.execute("INSERT INTO plans (name) VALUES ('uncommitted')")
    report = backup.create(home, tmp_path / "b.tar.gz")
    store.conn.execute("ROLLBACK")
    store.close()
    assert report.papers == 1 and report.notes == 1

    other = tmp_path / "b"
    result = backup.restore(other, tmp_path / "b.tar.gz")
    assert result["papers"] == 1 and result["notes"] == 1 and result["previous_files"] is None
    restored = Store.open(other)
    assert restored.integrity_ok()
    assert papers.resolve(restored, "2106.09685").status == "read"
    assert restored.scalar("SELECT count(*) FROM plans WHERE name = 'uncommitted'") == 0
    assert (other / "notes" / "hu2021lora.md").read_text(encoding="utf-8").endswith("the rank\n")


def test_restore_over_a_library_needs_force_and_keeps_the_old_files(tmp_path):
    home = tmp_path / "a"
    _library(home).close()
    archive = backup.create(home, tmp_path / "x.tar.gz").path
    (home / "notes" / "hu2021lora.md").write_text("edited after the backup\n", encoding="utf-8")
    with pytest.raises(KbError, match="--force"):
        backup.restore(home, archive)
    result = backup.restore(home, archive, force=True)
    aside = result["previous_files"]
    assert aside and (tmp_path / "a").exists()
    from pathlib import Path

    assert (Path(aside) / "notes" / "hu2021lora.md").read_text(encoding="utf-8") == "edited after the backup\n"
    assert (Path(aside) / "kb.sqlite").exists()


def test_restore_refuses_archives_with_path_traversal(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        data = b"x"
        info = tarfile.TarInfo("../../escape.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BadInput, match="unsafe"):
        backup.restore(tmp_path / "home", evil)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_restore_refuses_something_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(BadInput, match="not a kb backup"):
        backup.restore(tmp_path / "home", junk)


def test_cli_backup_and_restore(cli, home, tmp_path):
    _library(home).close()
    code, out, err = cli("backup", "-o", str(tmp_path / "k.tar.gz"), "--json")
    assert code == 0, err
    import json

    assert json.loads(out)["papers"] == 1
    code, out, err = cli("restore", str(tmp_path / "k.tar.gz"))
    assert code != 0 and "--force" in err
