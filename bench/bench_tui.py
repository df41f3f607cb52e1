"""Time to the TUI's first frame with a 1,000-paper library, against a bare Textual app showing
one label; both in fresh subprocesses (imports included), as a user starting `kb` sees it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Each child exits once its first screen is ready (Textual's auto_pilot runs then), printing nothing.
BARE = """
from textual.app import App
from textual.widgets import Label
class Bare(App):
    def compose(self):
        yield Label("paper-kb")
async def first_frame(pilot):
    pilot.app.exit()
Bare().run(headless=True, size=(100, 32), auto_pilot=first_frame)
"""

KB = """
import sys
from pathlib import Path
from tui.app import KbApp
async def first_frame(pilot):
    pilot.app.exit()
KbApp(home=Path(sys.argv[1])).run(headless=True, size=(100, 32), auto_pilot=first_frame)
"""


def _library(home: Path, n: int = 1000) -> None:
    from kb.store import Store

    with Store.open(home) as store, store.tx():
        store.conn.executemany(
            "INSERT INTO papers (citekey, title, title_norm, year, status) VALUES (?, ?, ?, ?, ?)",
            [(f"paper{i}", f"Paper number {i} on low-rank adaptation", f"paper number {i}", 2000 + i % 25,
              ("unread", "reading", "read", "reviewed")[i % 4]) for i in range(n)],
        )


def _first_frame(code: str, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=REPO, capture_output=True, timeout=120)
    return time.perf_counter() - t0


def run(report) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "kb"
        _library(home)
        repeats = 5
        bare = report.add("bare Textual app, one label: first frame", [_first_frame(BARE) for _ in range(repeats)])
        kb = report.add("kb TUI, 1,000 papers: first frame", [_first_frame(KB, str(home)) for _ in range(repeats)])
        report.ratio("kb / bare (first frame)", kb.median / bare.median, "<= 1.5x")
