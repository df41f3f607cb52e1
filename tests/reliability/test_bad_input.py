"""The bad-input catalogue (docs/bad-input.md): each row runs the real `kb` command on a bad
input and checks the exit code, one clear line (plus at most a hint), no traceback, and that
the store and the data dir are unchanged where the row says so."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from tests.reliability.badinput_cases import CASES, Case, Env

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"


def snapshot(home: Path) -> dict:
    """Row counts of every table, and every file (but the database's own) with its digest."""
    counts: dict[str, int] = {}
    db = home / "kb.sqlite"
    if db.exists():
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            # Full-text indexes and their shadow tables hold index structure, not the user's data.
            virtual = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                      if not any(r[0] == v or r[0].startswith(v + "_") for v in virtual)]
            for table in tables:
                n = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                if n:
                    counts[table] = n
        except sqlite3.DatabaseError:
            counts["<unreadable>"] = db.stat().st_size
        finally:
            conn.close()
    files = {}
    if home.exists():
        for path in sorted(home.rglob("*")):
            if path.is_file() and not path.name.startswith("kb.sqlite") and path.name != "index.lock":
                files[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"rows": counts, "files": files}


def check_output(case: Case, code: int, out: str, err: str) -> None:
    both = out + err
    assert "Traceback" not in both, both
    assert "unexpected" not in err, f"an exception escaped to the last line of defence: {err}"
    assert code == case.code, f"exit {code}, expected {case.code}\nstdout: {out}\nstderr: {err}"
    assert case.message.lower() in both.lower(), f"{case.message!r} not in:\n{both}"
    lines = [l for l in err.splitlines() if l.strip()]
    if lines and lines[0].startswith("error:"):
        # one line saying what, at most one more saying what to do
        assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("  hint:")), err
    elif lines and lines[0].startswith("Usage:"):
        assert lines[-1].startswith("Error:"), err  # click's own usage errors
    else:
        assert len(lines) <= 1, err  # a per-file report line (kb add) or nothing


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, cli, home, tmp_path, shared):
    env = Env(home=home, tmp=tmp_path / "in", shared=shared, cli=cli)
    env.tmp.mkdir()
    try:
        args = case.prepare(env)
        before = snapshot(home)
        code, out, err = cli(*args)
        check_output(case, code, out, err)
        if case.unchanged:
            assert snapshot(home) == before
        # the data home still opens and is sound afterwards (unless the row broke it on purpose)
        if not case.id.startswith("db-") and not case.id.startswith("config-bad") and (home / "kb.sqlite").exists():
            conn = sqlite3.connect(home / "kb.sqlite")
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            conn.close()
    finally:
        for stop in env.extras.get("cleanup", []):
            stop()


def test_catalogue_has_thirty_rows_across_areas():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    areas = {c.area for c in CASES}
    for needed in ("plans", "PDFs", "Zotero API", "zotero.sqlite", "notes", "cards", "config", "CLI"):
        assert needed in areas


def test_docs_table_matches_the_cases():
    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.M)
    assert rows == [c.id for c in CASES], "docs/bad-input.md is out of step with tests/reliability/badinput_cases.py"
    for case in CASES:
        row = next(l for l in text.splitlines() if l.startswith(f"| `{case.id}` |"))
        assert f"| {case.code} |" in row
