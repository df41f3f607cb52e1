"""Shared fixtures: an isolated data home per test, the shared test data, offline model hub."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("KB_KEYRING", "file")  # tests never write the developer's OS keyring

# The model's ONNX export is shared by data homes through the user's cache: one for the whole
# run, never the developer's own (a test that needs the export missing gives itself a fresh one).
if "KB_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["KB_CACHE"] = tempfile.mkdtemp(prefix="kb-test-cache-")
    atexit.register(shutil.rmtree, os.environ["KB_CACHE"], ignore_errors=True)  # 90 MB a run

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KB_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared() -> Path:
    if not SHARED.exists():
        pytest.fail(f"test data folder {SHARED} is missing (set KB_SHARED)")
    return SHARED


@pytest.fixture
def papers_dir(shared: Path) -> Path:
    return shared / "papers"


@pytest.fixture
def seeds_dir(shared: Path) -> Path:
    return shared / "seeds"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "kbhome"
    monkeypatch.setenv("KB_HOME", str(h))
    return h


@pytest.fixture(autouse=True)
def _no_query_server_left(request):
    """`kb search` may start a warm query server in the test's data home: stop it afterwards, so
    no test leaves a process behind (in any folder: journeys and CLI tests search too)."""
    home = request.getfixturevalue("home") if "home" in request.fixturenames else None
    yield
    if home is not None:
        from kb.search.server import stop

        stop(home)


@pytest.fixture
def store(home: Path):
    from kb.store import Store

    s = Store.open(home)
    yield s
    s.close()


@pytest.fixture
def run_kb(home: Path):
    """Run the `kb` CLI in a subprocess (the way a user does); returns CompletedProcess."""
    import subprocess

    def _run(*args: str, input: str | None = None, timeout: float = 300, env: dict | None = None, check: bool = False):
        full_env = dict(os.environ, KB_HOME=str(home), **(env or {}))
        proc = subprocess.run(
            [sys.executable, "-m", "kb", *args], input=input, capture_output=True, text=True, timeout=timeout, env=full_env, cwd=str(REPO)
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kb {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    return _run


@pytest.fixture
def cli(home: Path):
    """Run the `kb` CLI in-process (fast); returns (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from kb.cli.main import main

    def _run(*args: str, input: str | None = None):
        runner = CliRunner()
        with runner.isolation(input=input) as (o, e, *_):
            code = main(list(args))
            stdout = o.getvalue().decode()
            stderr = e.getvalue().decode() if e is not None else ""
        return code, stdout, stderr

    return _run
