"""A user's first week, in a real terminal: tmux runs real `kb` processes in a fresh data home, keys
are typed at human speed, and each step asserts on what the screen shows (capture-pane).

The week: build the demo from the welcome screen; import a seed plan and add two of the real
PDFs from another terminal (the CLI) and index one; search while typing; open a result; write a
note with cards through $VISUAL; review with Again and Good; run `kd` from the Run screen, once
more from the CLI, and cancel a third; quit and start `kb` again (Today with several runs of one
paper: issue 13's first crash); open the Run screen on the past runs; make the brief.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

SIZE = ("80", "24")
KEY_DELAY = 0.08  # between keystrokes: a quick typist, slower than a paste


class Terminal:
    """One tmux session running `python -m kb` with the test's environment."""

    def __init__(self, name: str, env: dict[str, str], log: list[str]):
        self.name = name
        self.env = env
        self.log = log
        self.t0 = time.monotonic()

    def start(self) -> None:
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        # `; sleep` keeps the pane after kb exits, so a crash's one line can still be read.
        self._tmux("new-session", "-d", "-s", self.name, "-x", SIZE[0], "-y", SIZE[1],
                   f"cd {REPO} && env {env} {sys.executable} -m kb; echo kb-exited-$?; sleep 60")

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True, timeout=30).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str, delay: float = KEY_DELAY) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            # A key right after a bare ESC would read as alt+key; after Enter a person looks at
            # what it did (a focus move) before the next key: pause as a person does.
            time.sleep(0.6 if key == "Escape" else 0.4 if key == "Enter" else delay)

    def type(self, text: str, delay: float = KEY_DELAY) -> None:
        for ch in text:
            self._tmux("send-keys", "-t", self.name, "-l", ch)
            time.sleep(delay)

    def wait_for(self, *texts: str, timeout: float = 60, absent: str | None = None) -> str:
        """The screen once it shows every one of `texts` (and not `absent`)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if "kb-exited-" in screen:
                break
            if all(t in screen for t in texts) and (absent is None or absent not in screen):
                self.log.append(f"[{time.monotonic() - self.t0:.1f} s] {texts[0]}\n{screen}")
                return screen
            time.sleep(0.25)
        raise AssertionError(f"{texts!r} never appeared; the screen was:\n{screen}")

    def exit_code(self, timeout: float = 30) -> int:
        """kb's exit status, once it has exited (the pane prints it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.screen().splitlines():
                if line.startswith("kb-exited-"):
                    return int(line.split("-")[-1])
            time.sleep(0.25)
        raise AssertionError(f"kb did not exit; the screen was:\n{self.screen()}")

    def stop(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal_env(home: Path, tmp_path: Path) -> dict[str, str]:
    # CI installs tmux: its absence is a failure here, never a skip.
    assert shutil.which("tmux"), "tmux is not installed"
    editor = tmp_path / "editor.sh"
    # The editor a user would use, scripted: it appends two cards to the note it is given.
    editor.write_text("#!/bin/sh\ncat >> \"$1\" <<'EOF'\n\n"
                      "What does distillation transfer to the student? :: the teacher's soft targets\n\n"
                      "Soft targets come from a softmax at a {{c1::high temperature}}.\nEOF\n", encoding="utf-8")
    editor.chmod(0o755)
    return {"KB_HOME": str(home), "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color", "VISUAL": str(editor),
            "EDITOR": str(editor), "PYTHONPATH": str(REPO)}


def test_a_first_week_in_a_real_terminal(terminal_env, run_kb, seeds_dir, papers_dir, home):
    screens: list[str] = []
    tui = Terminal(f"kbweek{os.getpid()}", terminal_env, screens)
    t0 = time.monotonic()
    tui.start()
    try:
        # Day 1: an empty library; the welcome screen builds the demo (issue 13: MarkupError here).
        tui.wait_for("Your library is empty", "Build the demo library")
        tui.keys("Enter")
        tui.wait_for("This week ·", "Recent runs", timeout=120)

        # From another terminal: a seed plan, two real PDFs, one indexed (the model loads once).
        seed = sorted(seeds_dir.glob("001_*.txt"))[0]
        assert "imported plan" in run_kb("plan", "import", str(seed), check=True).stdout
        run_kb("add", str(papers_dir / "1503.02531.pdf"), str(papers_dir / "2106.09685.pdf"), check=True)
        run_kb("index", "--paper", "1503.02531", check=True, timeout=600)
        tui.keys("p")
        tui.wait_for("▼ 大模型高效微调与模型压缩")
        tui.keys("S-Left", "S-Left", "S-Left", "Space")  # up to the demo plan, folded: the seed plan shows
        tui.wait_for("▶ 大模型高效微调与模型压缩", "▼ 研0 学习计划")

        # Search while typing, pausing now and then as people do (issue 13: the first search failed).
        tui.keys("/")
        tui.wait_for("type to search")
        for word in ("soft ", "targets", " temperature"):
            tui.type(word)
            time.sleep(0.4)  # longer than the debounce: a search starts while the next word is typed
        screen = tui.wait_for("results for “soft targets temperature”", timeout=180)
        assert "Distilling the Knowledge" in screen and "--rebuild" not in screen and "tenant" not in screen
        tui.keys("Down", "Enter")  # to the results; the hint said enter opens at the page
        tui.wait_for("Distilling the Knowledge in a Neural Network", "Edit note")

        # A note with cards, written in the user's editor ($VISUAL, scripted).
        tui.keys("e")
        tui.wait_for("Note saved: 2 new, 0 edited card(s)", timeout=60)

        # Review: Again on the first card, Good on the next.
        tui.keys("v")
        screen = tui.wait_for(" left · 0 reviewed")
        tui.keys("space", "1")
        tui.wait_for("1 reviewed")
        tui.keys("space", "3")
        tui.wait_for("2 reviewed")

        # Runs: kd from the Run screen, once from the CLI with tiny settings, and a third cancelled.
        tui.keys("l")
        tui.wait_for("sorted by Title")
        tui.keys("f")
        tui.type("distilling")
        tui.wait_for("Distilling the Knowledge in a Neura")
        tui.keys("Enter", "Enter")
        tui.wait_for("Distilling the Knowledge in a Neural Network", "Edit note")
        tui.keys("r")
        tui.wait_for("kd · tiny")
        tui.keys("Enter")
        first = tui.wait_for("kd (tiny) · run #", timeout=240)
        assert ("✔ claim held" in first) != ("✘ claim did not hold" in first)  # exactly one verdict
        run_kb("repro", "run", "kd", "--preset", "tiny", "--set", "steps=300", check=True, timeout=300)
        tui.keys("Escape", "r")
        tui.wait_for("kd · tiny", "Past runs")
        tui.keys("Enter")
        tui.wait_for("starting kd (tiny)")
        time.sleep(1.0)
        tui.keys("c")
        cancelled = tui.wait_for("⊘ cancelled", timeout=120)
        assert "claim did not hold" not in cancelled.split("\n", 3)[1]  # the banner line says cancelled only

        # Quit, and start again: Today with three runs of one paper (issue 13: DuplicateKey on start).
        tui.keys("q")
        assert tui.exit_code() == 0
        tui.stop()
        tui.start()
        today = tui.wait_for("Recent runs", "This week ·", "⊘ cancelled")
        assert today.count("kd (tiny)") >= 3

        # The Run screen on a past run, from the paper.
        tui.keys("l")
        tui.wait_for("sorted by Title")
        tui.keys("f")
        tui.type("distilling")
        tui.wait_for("Distilling the Knowledge in a Neura")
        tui.keys("Enter", "Enter")
        tui.wait_for("Distilling the Knowledge in a Neural Network", "Edit note")
        tui.keys("r")
        tui.wait_for("Past runs")
        tui.keys("Tab", "Enter")
        tui.wait_for("⊘ cancelled  ·  kd (tiny) · run #")

        # The brief for the group meeting.
        tui.keys("b")
        tui.wait_for("saved as", timeout=120)
        tui.keys("x")
        tui.wait_for("Exported to", timeout=180)
        tui.keys("q")
        assert tui.exit_code() == 0
    finally:
        print(f"first week: {time.monotonic() - t0:.0f} s; steps:\n" + "\n".join(s.split("\n", 1)[0] for s in screens))
        print("last screens:\n" + "\n----\n".join(screens[-2:]))
        tui.stop()
    assert list((home / "briefs").glob("*.html"))
