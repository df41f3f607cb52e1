"""The warm query server behind `kb search`: a socket only the user can open, one server per data
home, the same hits as an in-process search, replaced when its code differs, gone when idle,
stopped by `kb index`, and never used with --no-server or when turned off."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.search import server

REPO = Path(__file__).resolve().parents[2]


def _env(home: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", KB_HOME=str(home))


def _kb(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kb", *args], env=_env(home), cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)


def _serve(home: Path, idle_s: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kb.search.server", str(home), str(idle_s)], env=_env(home), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(predicate, timeout_s: float = 300.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def home(library, tmp_path):
    """A copy of the indexed library: servers of one test never answer another's."""
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(library.home, copy, ignore=shutil.ignore_patterns("search.sock", "search.lock"))
    yield copy
    server.stop(copy)


def test_socket_is_private_and_one_server_per_home(home):
    first = _serve(home, 300)
    try:
        sock = server.socket_path(home)
        assert _wait_for(sock.exists), first.stderr.read().decode()[-800:] if first.poll() is not None else "no socket"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_ISSOCK(sock.stat().st_mode)
        second = _serve(home, 300)
        assert second.wait(timeout=300) == 0  # the home has its server: the second one leaves
        assert first.poll() is None and sock.exists()
        assert server.stop(home) and first.wait(timeout=60) == 0 and not sock.exists()
    finally:
        first.kill() if first.poll() is None else None


def test_idle_server_exits_and_removes_its_socket(home):
    proc = _serve(home, 1.0)
    sock = server.socket_path(home)
    assert _wait_for(lambda: sock.exists() or proc.poll() is not None)
    assert proc.wait(timeout=300) == 0
    assert not sock.exists()


def test_cli_search_through_the_server_matches_in_process(home, library):
    query = "soft targets from a large teacher model"
    direct = _kb(home, "search", query, "--json", "--no-server")
    assert direct.returncode == 0 and not server.socket_path(home).exists()
    first = _kb(home, "search", query, "--json")  # starts the server, then asks it
    assert first.returncode == 0, first.stderr[-800:]
    assert server.socket_path(home).exists()
    second = _kb(home, "search", query, "--json")  # answered by the running server
    assert json.loads(first.stdout) == json.loads(second.stdout) == json.loads(direct.stdout)
    bad = _kb(home, "search", "   ", "--json")
    assert bad.returncode == 2 and bad.stderr.startswith("error: the search query is empty")
    missing = _kb(home, "search", "attention", "--plan", "no-such-plan", "--json")
    assert missing.returncode == _kb(home, "search", "attention", "--plan", "no-such-plan", "--json", "--no-server").returncode != 0


def test_a_server_of_other_code_is_replaced(home):
    proc = _serve(home, 300)
    try:
        sock = server.socket_path(home)
        assert _wait_for(sock.exists)
        answer = server._ask(sock, {"version": "other-code", "query": "attention"})
        assert answer["error"]["kind"] == "version"
        assert proc.wait(timeout=60) == 0  # it left rather than answer with other code
        hits = server.search(home, {}, "attention", mode="hybrid", limit=3, filters=None)  # starts a current one
        assert hits and all("paper_id" in h for h in hits)
        assert sock.exists()
    finally:
        proc.kill() if proc.poll() is None else None


def test_turned_off_it_is_not_started_and_a_running_one_stops(home):
    proc = _serve(home, 300)
    try:
        assert _wait_for(server.socket_path(home).exists)
        assert _kb(home, "config", "index.query_server", "false").returncode == 0
        result = _kb(home, "search", "attention", "--json")
        assert result.returncode == 0 and json.loads(result.stdout)
        assert proc.wait(timeout=60) == 0 and not server.socket_path(home).exists()
    finally:
        proc.kill() if proc.poll() is None else None


def test_what_the_server_warms_is_kept_out_of_the_collectors_sight(home):
    """A full collection walking the loaded model and Chroma took 40 ms of a 13 ms search."""
    import gc

    before = gc.get_freeze_count()
    try:
        server._warm(home).close()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
