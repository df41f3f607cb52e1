"""Hostile names never escape the data dir or reach a shell; the Zotero API key never shows;
reproduction parameters are parsed, never evaluated."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from tests.reliability.helpers import REPO, db, kb, run, run_ok

HOSTILE = "a b; $(touch PWNED) `touch PWNED2` 'q' \"d\" & | > x"
KEY = "sekrit-KEY-123"


def _recorder(folder: Path) -> Path:
    """A program at a path with spaces that records the argv it was given."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "my editor (v2).py"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\nopen(sys.argv[0] + '.argv', 'w').write(json.dumps(sys.argv[1:]))\n", encoding="utf-8"
    )
    script.chmod(0o755)
    return script


def _no_pwned(*roots: Path) -> None:
    for root in (*roots, REPO):
        assert not list(root.rglob("PWNED*")), f"a shell ran a command from a name under {root}"


def test_editor_gets_a_hostile_note_path_as_one_argument(tmp_path):
    home = tmp_path / f"kb {HOSTILE}"
    editor = _recorder(tmp_path / "tools dir")
    from kb import papers
    from kb.store import Store

    with Store.open(home) as store:
        paper, _ = papers.upsert(store, title=f"LoRA {HOSTILE}", year=2021)
    proc = run(kb("note", str(paper.id)), home, EDITOR=f"'{editor}' --wait", VISUAL="")
    assert proc.returncode == 0, proc.stderr
    argv = json.loads(Path(str(editor) + ".argv").read_text())
    assert argv[0] == "--wait" and len(argv) == 2
    note = Path(argv[1])
    assert note.exists() and str(note).startswith(str(home))
    _no_pwned(tmp_path)


def test_pdf_viewer_gets_a_hostile_path_as_one_argument(tmp_path):
    from kb import viewer as viewer_mod
    from tui import launch

    viewer = _recorder(tmp_path / "viewer dir")
    pdf = tmp_path / f"paper {HOSTILE}.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    argv = viewer_mod.viewer_argv({"viewer": {"command": f"'{viewer}' -P {{page}} {{path}}"}}, pdf, 7)
    assert argv == [str(viewer), "-P", "7", str(pdf)]
    launch.run_editor(argv)  # a foreground runner; kb.viewer.spawn_detached uses the same argv without a shell
    assert json.loads(Path(str(viewer) + ".argv").read_text()) == ["-P", "7", str(pdf)]
    argv = viewer_mod.viewer_argv({"viewer": {"command": ""}}, pdf, None)
    assert argv[-1] == str(pdf)
    _no_pwned(tmp_path)


@pytest.fixture
def zotero():
    sys.path.insert(0, str(REPO / "tests" / "zotero"))
    from fake_zotero import FakeZotero

    server = FakeZotero(api_key=KEY).start()
    yield server
    server.stop()


def test_hostile_attachment_names_and_keys_stay_inside_the_data_dir(tmp_path, zotero):
    from fake_zotero import attachment_data, paper_data

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    outside = tmp_path / "outside"
    outside.mkdir()
    parent = zotero.put_item(paper_data("QLoRA: Efficient Finetuning of Quantized LLMs", arxiv="2305.14314"))
    names = {
        "ABSOLUTE": str(outside / "abs.pdf"), "DOTDOT01": "../../../outside/dots.pdf", "WINDOTS1": "..\\..\\outside\\win.pdf",
        "SHELLY01": f"{HOSTILE}.pdf", "NULBYTE1": "evil\x00.pdf", "HIDDEN01": ".bashrc", "GOODNAME": "ok.pdf",
    }
    for key, name in names.items():
        zotero.put_item(attachment_data(parent, name, key=key))
        zotero.put_file(key, pdf)
    # keys that are paths themselves
    for key in ("../../K1", "/tmp/K2", "..\\K3"):
        data = attachment_data(parent, "k.pdf", key=key)
        zotero.put_raw({"key": key, "version": 1, "library": {"type": "user", "id": int(zotero.library_id)}, "meta": {}, "data": data}, key)
        zotero.put_file(key, pdf)
    home = tmp_path / "home"
    run_ok(kb("zotero", "setup", "--api-key", KEY, "--library-id", zotero.library_id, "--endpoint", zotero.url), home)
    proc = run(kb("sync"), home)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # nothing outside the data home was written, and every file the sync wrote is under home/files
    assert sorted(p.name for p in outside.iterdir()) == []
    assert not (tmp_path / "K1").exists() and not Path("/tmp/K2").exists() and not (tmp_path / "dots.pdf").exists()
    conn = db(home)
    stored = [r[0] for r in conn.execute("SELECT file_path FROM zotero_items WHERE file_path IS NOT NULL")]
    conn.close()
    files_root = (home / "files").resolve()
    for path in stored:
        assert Path(path).resolve().is_relative_to(files_root), path
    assert any(Path(p).name == "ok.pdf" for p in stored)
    for path in home.rglob("*"):
        assert path.resolve().is_relative_to(home.resolve())
    _no_pwned(tmp_path)


def test_api_key_never_shows(tmp_path, zotero, papers_dir):
    from fake_zotero import Fault, paper_data

    zotero.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
    home = tmp_path / "home"
    outputs = []
    outputs.append(run_ok(kb("zotero", "setup", "--api-key", KEY, "--library-id", zotero.library_id, "--endpoint", zotero.url), home))
    cred = home / "credentials.toml"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    outputs.append(run_ok(kb("sync", "--json"), home))
    outputs.append(run_ok(kb("zotero", "status", "--json"), home))
    outputs.append(run_ok(kb("zotero", "status"), home))
    outputs.append(run_ok(kb("config", "--json"), home))
    outputs.append(run_ok(kb("config"), home))
    # failures, with and without --debug (tracebacks included)
    zotero.faults.append(Fault("/items", status=500, body=f"server error for key {KEY}".encode(), times=20))
    run_ok(kb("config", "zotero.retries", "1"), home)
    for args in (("sync",), ("--debug", "sync"), ("sync", "--json")):
        proc = run(kb(*args), home)
        assert proc.returncode != 0
        outputs.append(proc)
    run_ok(kb("zotero", "setup", "--api-key", KEY, "--library-id", zotero.library_id, "--endpoint", "http://127.0.0.1:9"), home)
    for args in (("sync",), ("--debug", "sync")):
        outputs.append(run(kb(*args), home))
    # the brief, in every text format
    for fmt in ("md", "html"):
        out = tmp_path / f"brief.{fmt}"
        outputs.append(run_ok(kb("brief", "--format", fmt, "-o", str(out)), home))
        assert KEY not in out.read_text(encoding="utf-8")
    for proc in outputs:
        assert KEY not in proc.stdout and KEY not in proc.stderr, " ".join(proc.args[2:])
    # no file in the data home but credentials.toml holds it (database, config, logs)
    for path in home.rglob("*"):
        if path.is_file() and path != cred:
            assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600  # still 0600 after being rewritten


@pytest.mark.parametrize("value", [
    "__import__('os').system('touch PWNED')", "1; touch PWNED", "$(touch PWNED)", "4 if open('PWNED','w') else 4", "0x10", "1e400",
    "nan", "", "4.0",
])
def test_repro_set_values_are_parsed_never_evaluated(value, tmp_path, monkeypatch):
    from kb.errors import BadInput
    from reproductions import registry

    monkeypatch.chdir(tmp_path)
    spec = registry.get("lora")
    with pytest.raises(BadInput):
        spec.parse_sets([f"rank={value}"])
    _no_pwned(tmp_path)


def test_repro_set_through_the_cli_is_refused_in_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("repro", "run", "lora", "--preset", "tiny", "--set", "rank=__import__('os').system('touch PWNED')")
    assert code == 2, err
    assert "rank=" in err and "not a valid int" in err and "Traceback" not in err
    code, out, err = cli("repro", "run", "lora", "--preset", "tiny", "--set", "nosuch=1")
    assert code != 0 and code != 70 and "Traceback" not in err
    _no_pwned(tmp_path)
