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


def test_a_symlinked_note_is_backed_up_as_its_text_and_restores(tmp_path):
    home = tmp_path / "a"
    _library(home).close()
    synced = tmp_path / "Dropbox" / "kd.md"
    synced.parent.mkdir()
    synced.write_text("# KD\nWhat is T? :: the temperature\n", encoding="utf-8")
    (home / "notes" / "hinton2015distilling.md").symlink_to(synced)
    (home / "notes" / "gone.md").symlink_to(tmp_path / "nowhere.md")
    report = backup.create(home, tmp_path / "b.tar.gz")
    assert report.linked_notes == ["hinton2015distilling.md"] and report.skipped_notes == ["gone.md"] and report.notes == 2
    result = backup.restore(tmp_path / "b", tmp_path / "b.tar.gz")
    restored = tmp_path / "b" / "notes" / "hinton2015distilling.md"
    assert result["notes"] == 2 and not restored.is_symlink()
    assert restored.read_text(encoding="utf-8") == "# KD\nWhat is T? :: the temperature\n"


def test_an_archive_holding_a_link_is_refused_whole_with_the_reason(tmp_path):
    home = tmp_path / "a"
    _library(home).close()
    archive = backup.create(home, tmp_path / "x.tar.gz").path
    linked = tmp_path / "old-style.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(linked, "w:gz") as out:
        for member in src.getmembers():
            out.addfile(member, src.extractfile(member))
        link = tarfile.TarInfo("notes/linked.md")
        link.type, link.linkname = tarfile.SYMTYPE, "/home/me/Dropbox/linked.md"
        out.addfile(link)
    with pytest.raises(BadInput, match="holds a link 'notes/linked.md'"):
        backup.restore(tmp_path / "b", linked)
    assert not (tmp_path / "b").exists()


def test_two_restores_in_one_second_keep_both_sets_of_replaced_files(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from kb import restore as restore_mod

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 30, 8, 0, 0, tzinfo=timezone.utc)

    monkeypatch.setattr(restore_mod, "datetime", Frozen)
    home = tmp_path / "a"
    _library(home).close()
    archive = backup.create(home, tmp_path / "x.tar.gz").path
    (home / "notes" / "hu2021lora.md").write_text("first edit\n", encoding="utf-8")
    first = backup.restore(home, archive, force=True)["previous_files"]
    (home / "notes" / "hu2021lora.md").write_text("second edit\n", encoding="utf-8")
    second = backup.restore(home, archive, force=True)["previous_files"]
    assert first != second
    from pathlib import Path

    assert (Path(first) / "notes" / "hu2021lora.md").read_text() == "first edit\n"
    assert (Path(second) / "notes" / "hu2021lora.md").read_text() == "second edit\n"


def _archive_with_config(tmp_path, text: str):
    """An archive from another machine whose notes live in the folder its notes.dir names."""
    src = tmp_path / "src"
    _library(src).close()
    (src / "config.toml").write_text(text, encoding="utf-8")
    from kb.backup import notes_dir

    where = notes_dir(src)
    if where != src / "notes":
        where.mkdir(parents=True, exist_ok=True)
        (src / "notes" / "hu2021lora.md").rename(where / "hu2021lora.md")
    archive = backup.create(src, tmp_path / "c.tar.gz").path
    if where != src / "notes":
        (where / "hu2021lora.md").rename(src / "notes" / "hu2021lora.md")
        where.rmdir()
    return archive


def test_settings_pointing_elsewhere_are_held_back_and_this_machines_are_kept(tmp_path):
    outside = tmp_path / "elsewhere"
    archive = _archive_with_config(tmp_path, f'[notes]\ndir = "{outside}"\n[viewer]\ncommand = "touch {tmp_path}/PWNED"\n'
                                             '[review]\nnew_per_day = 7\n')
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[viewer]\ncommand = "zathura {path}"\n', encoding="utf-8")
    heard: list[str] = []
    result = backup.restore(home, archive, notify=heard.append)
    from kb import config

    restored = config.load(home / "config.toml")
    assert restored["viewer"]["command"] == "zathura {path}" and restored["notes"]["dir"] == "" and restored["review"]["new_per_day"] == 7
    assert set(result["held_back"]) == {"notes.dir", "viewer.command"} and any("--trust-config" in h for h in heard)
    assert not outside.exists() and (home / "notes" / "hu2021lora.md").exists()


def test_trust_config_takes_them_and_restores_the_notes_where_they_point(tmp_path):
    outside = tmp_path / "elsewhere"
    archive = _archive_with_config(tmp_path, f'[notes]\ndir = "{outside}"\n')
    outside.mkdir()
    (outside / "mine.md").write_text("a note already there\n", encoding="utf-8")
    home = tmp_path / "home"
    result = backup.restore(home, archive, trust_config=True)
    assert result["held_back"] == {} and (outside / "hu2021lora.md").exists() and not (outside / "mine.md").exists()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("elsewhere.before-restore-")]
    assert len(kept) == 1 and (kept[0] / "mine.md").read_text() == "a note already there\n"
    assert not any(p.name.endswith(".restore-staging") for p in tmp_path.iterdir())


def test_the_next_kb_command_undoes_a_restore_killed_while_staging(cli, home, tmp_path):
    from kb import restore as restore_mod

    _library(home).close()
    (home / restore_mod.STAGING / "notes").mkdir(parents=True)
    (home / restore_mod.JOURNAL).write_text('{"phase": "staging", "archive": "x.tar.gz", "staging": []}')
    code, out, err = cli("papers")
    assert code == 0 and "undid the restore of x.tar.gz" in err
    assert not (home / restore_mod.STAGING).exists() and not (home / restore_mod.JOURNAL).exists()


def test_a_broken_config_does_not_stop_a_backup_or_the_restore_that_fixes_it(tmp_path):
    home = tmp_path / "a"
    _library(home).close()
    archive = backup.create(home, tmp_path / "good.tar.gz").path
    (home / "config.toml").write_text("[review]\nnew_per_day = -5\n", encoding="utf-8")
    assert backup.create(home, tmp_path / "broken.tar.gz").notes == 1
    (home / "config.toml").write_text("[review\nnot toml", encoding="utf-8")
    result = backup.restore(home, archive, force=True)
    assert result["notes"] == 1 and not (home / "config.toml").exists()
