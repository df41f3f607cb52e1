"""A full disk and a read-only data dir while writing notes, the database, config and the
index: one clear line, nothing half-written, and the next run (with space) works."""

from __future__ import annotations

import errno
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.helpers import REPO, assert_sound, db, env_for
from tests.reliability.test_bad_input import snapshot
from tests.reliability.test_crash import _review_setup

SEED_PLAN = "000_ac20d921330b5aa7.txt"


def _one_clear_line(code: int, err: str, *fragments: str) -> None:
    assert code not in (0, 70), err
    assert "Traceback" not in err and "unexpected" not in err, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines and lines[0].startswith("error:") and len(lines) <= 2, err
    assert any(f in err for f in fragments), err


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# -- a read-only data dir (a real read-only bind mount in a private mount namespace) ---------------
def _readonly_kb(home: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "kb", *args])
    h = shlex.quote(str(home))
    script = f"mount --bind {h} {h} && mount -o remount,ro,bind {h} && exec {cmd}"
    return subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=str(REPO), env=env_for(home), capture_output=True, text=True,
                          timeout=120, input=input)


@pytest.fixture(scope="module")
def readonly_home(tmp_path_factory, seeds_dir=None):
    probe = tmp_path_factory.mktemp("probe")
    ok = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {probe} {probe} && mount -o remount,ro,bind {probe} && ! touch {probe}/x"],
                        capture_output=True)
    if ok.returncode != 0:
        pytest.fail("cannot make a read-only bind mount here (unshare -m needs root)")
    home = tmp_path_factory.mktemp("rohome")
    ids = _review_setup(home, 3)
    return home, ids


@pytest.mark.parametrize("args, fragments", [
    (("plan", "import", "{plan}"), ("read-only",)),
    (("review", "rate", "{card}", "good"), ("read-only",)),
    (("status", "1", "reading"), ("read-only",)),
    (("note", "2", "--path"), ("read-only", "cannot write")),
    (("config", "review.new_per_day", "5"), ("read-only", "cannot write")),
    (("zotero", "setup", "--api-key", "sekrit-KEY-123", "--library-id", "1"), ("read-only", "cannot write")),
], ids=["plan-import", "review-rate", "status", "note-create", "config-set", "credentials"])
def test_read_only_data_dir(readonly_home, seeds_dir, args, fragments):
    home, ids = readonly_home
    from kb import papers
    from kb.store import Store

    with Store.open(home) as store:
        papers.upsert(store, title="Attention Is All You Need", year=2017)
    before = snapshot(home)
    argv = [a.format(plan=seeds_dir / SEED_PLAN, card=ids[0]) for a in args]
    proc = _readonly_kb(home, *argv)
    _one_clear_line(proc.returncode, proc.stderr, *fragments)
    assert snapshot(home) == before
    assert_sound(home)


def test_read_only_data_dir_still_reads(readonly_home):
    home, _ = readonly_home
    proc = _readonly_kb(home, "papers")
    assert proc.returncode == 0, proc.stderr
    assert "LoRA" in proc.stdout


# -- a full disk: files ------------------------------------------------------------------------------
def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_creating_a_note(cli, home, monkeypatch):
    from kb import papers
    from kb.store import Store

    with Store.open(home) as store:
        paper, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", year=2021)
    with monkeypatch.context() as m:
        m.setattr("kb.atomic.os.fsync", _enospc)
        code, out, err = cli("note", str(paper.id), "--path")
    _one_clear_line(code, err, "No space left", "disk is full")
    assert not any(n.endswith(".md") or n.endswith(".tmp") for n in _files(home)), _files(home)
    code, out, err = cli("note", str(paper.id), "--path")
    assert code == 0 and Path(out.strip().splitlines()[-1]).read_text(encoding="utf-8").strip()


def test_disk_full_never_touches_an_existing_note_or_config(cli, home, monkeypatch):
    from kb import atomic
    from kb.errors import KbError

    target = home / "notes" / "mine.md"
    target.parent.mkdir(parents=True)
    target.write_text("my precious note\nQ :: A\n", encoding="utf-8")
    cli("config", "review.new_per_day", "7")
    config_before = (home / "config.toml").read_bytes()
    monkeypatch.setattr("kb.atomic.os.replace", _enospc)
    with pytest.raises(KbError) as info:
        atomic.write_text(target, "half of a new version")
    assert "No space left" in info.value.message
    assert target.read_text(encoding="utf-8") == "my precious note\nQ :: A\n"
    code, _, err = cli("config", "review.new_per_day", "9")
    _one_clear_line(code, err, "No space left")
    assert (home / "config.toml").read_bytes() == config_before
    assert not [n for n in _files(home) if n.endswith(".tmp")]


# -- a full disk: the database (SQLite's own "database or disk is full") ----------------------------
@pytest.fixture
def full_database(monkeypatch):
    """Every Store opened from now on may not grow by a single page."""
    from kb.store import Store

    original = Store.open.__func__

    def open_full(cls, *args, **kwargs):
        store = original(cls, *args, **kwargs)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        return store

    monkeypatch.setattr(Store, "open", classmethod(open_full))


def test_disk_full_during_plan_import(cli, home, seeds_dir, full_database):
    cli("papers")
    before = snapshot(home)
    code, out, err = cli("plan", "import", str(seeds_dir / SEED_PLAN))
    _one_clear_line(code, err, "disk is full")
    assert snapshot(home) == before
    assert_sound(home)


def test_disk_full_during_review(cli, home, monkeypatch):
    ids = _review_setup(home, 400)
    from kb.store import Store

    original = Store.open.__func__

    def open_full(cls, *args, **kwargs):
        store = original(cls, *args, **kwargs)
        store.conn.execute(f"PRAGMA max_page_count = {store.conn.execute('PRAGMA page_count').fetchone()[0]}")
        return store

    rated = 0
    monkeypatch.setattr(Store, "open", classmethod(open_full))
    for card in ids:  # rate until the last free page is used up
        code, out, err = cli("review", "rate", str(card), "good")
        if code != 0:
            _one_clear_line(code, err, "disk is full")
            break
        rated += 1
    else:
        pytest.fail("the database never filled up")
    conn = db(home)
    assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == rated
    assert conn.execute("SELECT count(*) FROM card_state WHERE last_review IS NOT NULL").fetchone()[0] == rated
    conn.close()
    assert_sound(home)


# -- a full disk: the vector index ----------------------------------------------------------------------
def test_disk_full_while_writing_vectors(cli, home, tmp_path, monkeypatch):
    from kb import papers
    from kb.store import Store
    from tests.index.pdfs import topic_pdf

    with Store.open(home) as store:
        paper, _ = papers.upsert(store, title="A study of glaciers")
        papers.add_attachment(store, paper.id, str(topic_pdf(tmp_path / "glacier.pdf", "glacier")))

    import chromadb.api.models.Collection as collection_mod

    real_upsert = collection_mod.Collection.upsert
    monkeypatch.setattr(collection_mod.Collection, "upsert", _enospc)
    code, out, err = cli("index")
    _one_clear_line(code, err, "No space left")
    conn = db(home)
    assert conn.execute("SELECT count(*) FROM index_state WHERE status = 'indexed'").fetchone()[0] == 0
    conn.close()
    monkeypatch.setattr(collection_mod.Collection, "upsert", real_upsert)
    code, out, err = cli("index")
    assert code == 0, err
    assert "indexed 1" in out
    assert_sound(home)
