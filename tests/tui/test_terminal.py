"""`kb` in a real terminal: tmux runs it on the demo library, we read the screen with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from tests.conftest import REPO


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True, timeout=30).stdout


def _alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0


def _wait_for(session: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_kb_in_tmux_on_the_demo_library(home, run_kb):
    # CI installs tmux: its absence is a failure here, never a skip.
    assert shutil.which("tmux"), "tmux is not installed"
    run_kb("demo", check=True)
    session = f"kbtui{os.getpid()}"
    env = f"KB_HOME={home} HF_HUB_OFFLINE=1 TERM=xterm-256color"
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24",
          f"cd {REPO} && env {env} {sys.executable} -m kb")
    try:
        screen = _wait_for(session, "This week ·")  # the title gains the week once loaded
        assert "cards due" in screen.lower() and "Read next" in screen and "Recent runs" in screen
        _tmux("send-keys", "-t", session, "l")
        screen = _wait_for(session, "sorted by Title")
        assert "Status" in screen and "Plan week" in screen
        _tmux("send-keys", "-t", session, "Enter")
        screen = _wait_for(session, "status ")  # the metadata line, once the paper is loaded
        assert "Edit note" in screen and "Open PDF" in screen
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _alive(session):
            time.sleep(0.3)
        assert not _alive(session), "kb did not quit on q"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
