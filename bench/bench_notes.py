"""Notes: parse every note of a 1,000-paper library holding 10,000 cards and build today's
review queue, against reading the same files alone (goal: at most 3×); and one sync after every
card of a 5,000-card note was edited (goal: ≤ 5 s and ≤ 300 MB)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

PAPERS = 1000
CARDS_PER_NOTE = 10


def _library(home: Path):
    from kb import config as config_mod
    from kb.store import Store

    store = Store.open(home)
    config = config_mod.load(home / "config.toml")
    notes = home / "notes"
    notes.mkdir(parents=True)
    with store.tx():
        for i in range(PAPERS):
            store.execute("INSERT INTO papers (citekey, title, title_norm) VALUES (?, ?, ?)", (f"paper{i}", f"Paper {i}", f"paper {i}"))
    for i in range(PAPERS):
        lines = [f"---\npaper_id: {i + 1}\ncitekey: paper{i}\ntags: [bench]\n---\n# Paper {i}\n", "## Method\n",
                 "Prose about the method, long enough to look like a real paragraph of notes. " * 6]
        for j in range(CARDS_PER_NOTE):
            if j % 3 == 0:
                lines.append(f"{{{{c1::Idea {j}}}}} of paper {i} improves the score")
            elif j % 3 == 1:
                lines.append(f"What is result {j} of paper {i}?\n?\nIt is {j * 1.5} points better.\n")
            else:
                lines.append(f"- Question {j} about paper {i} :: answer {j}")
        (notes / f"paper{i}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return store, config


def run(report) -> None:
    from notes import review, sync
    from notes.scheduler import Limits

    home = Path(tempfile.mkdtemp(prefix="kb-bench-notes-"))
    try:
        store, config = _library(home)
        files = sorted((home / "notes").glob("*.md"))
        now = datetime(2025, 6, 2, 9, tzinfo=timezone.utc)

        def read_only():
            return sum(len(p.read_text(encoding="utf-8")) for p in files)

        def parse_all():
            return sync.sync_notes(store, home, config, now, force=True)

        def queue_all():
            return review.due_cards(store, now, Limits(new_per_day=10_000, reviews_per_day=10_000))

        def parse_and_queue():
            parse_all()
            return queue_all()

        queue = parse_and_queue()
        cards = store.scalar("SELECT COUNT(*) FROM cards")
        base = report.time("read 1,000 note files", read_only, repeats=5)
        full = report.time("parse all notes + sync + build queue", parse_and_queue, repeats=5)
        # The two halves on their own, to show where the time goes (the ratio below is on the whole).
        parse = report.time("  of which: parse all notes + sync", parse_all, repeats=5)
        report.time("  of which: build the queue of all cards", queue_all, repeats=5)
        warm = report.time("sync unchanged notes + build queue", lambda: (sync.sync_notes(store, home, config, now),
                                                                         review.due_cards(store, now, Limits())), repeats=5)
        report.value("cards in the library", cards)
        report.value("cards in today's queue (no limits)", len(queue))
        report.ratio("parse+queue / read files", full.median / base.median, "≤ 3×")
        report.ratio("  of which parse+sync / read files", parse.median / base.median, "")
        report.ratio("warm sync+queue / read files", warm.median / base.median, "")
        store.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    run_big_note(report)


# -- cards at scale: every card of one 5,000-card note edited, then one sync -------------------
BIG_NOTE_CARDS = 5000
_BIG_NOTE_SCRIPT = r"""
import json, os, resource, sys, time
from datetime import datetime, timezone
from pathlib import Path
from kb import config as config_mod
from kb.store import Store
from notes import sync

home = Path(sys.argv[1])
store = Store.open(home)
config = config_mod.load(home / "config.toml")
now = datetime(2025, 6, 2, 9, tzinfo=timezone.utc)
note = home / "notes" / "big.md"
if sys.argv[2] == "first":
    sync.sync_notes(store, home, config, now)
    print(json.dumps({"cards": store.scalar("SELECT COUNT(*) FROM cards")}))
else:
    t0 = time.perf_counter()
    report = sync.sync_notes(store, home, config, now)
    seconds = time.perf_counter() - t0
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec (it would report the bench's own peak).
    hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")]
    peak_mb = hwm[0] / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "edited": report.cards_edited, "new": report.cards_new}))
"""


def _big_note(n: int, edited: bool) -> str:
    words = ["rank", "adapter", "teacher", "student", "attention", "softmax", "tile", "quantile", "outlier", "scaling"]
    lines = ["---\npaper_id: 1\ncitekey: big\n---\n# A long note\n"]
    for i in range(n):
        a, b, c = words[i % 10], words[(i * 3 + 1) % 10], words[(i * 7 + 2) % 10]
        typo = "s" if edited else ""
        if i % 3 == 0:
            lines.append(f"{{{{c1::{a.title()} {i}}}}} makes the {b} of block {i % 97} use {c}{typo}")
        else:
            lines.append(f"- Why does the {a} of step {i} need {b}? :: because {c} grows as {i * 3}{typo}")
    return "\n".join(lines) + "\n"


def run_big_note(report) -> None:
    import json
    import os
    import subprocess
    import sys

    from kb.store import Store

    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(repo))
    seconds, peaks = [], []
    for _ in range(3):
        home = Path(tempfile.mkdtemp(prefix="kb-bench-bignote-"))
        try:
            store = Store.open(home)
            with store.tx():
                store.execute("INSERT INTO papers (citekey, title, title_norm) VALUES ('big', 'Big', 'big')")
            store.close()
            (home / "notes").mkdir()
            note = home / "notes" / "big.md"
            note.write_text(_big_note(BIG_NOTE_CARDS, edited=False), encoding="utf-8")
            first = subprocess.run([sys.executable, "-c", _BIG_NOTE_SCRIPT, str(home), "first"], env=env, capture_output=True, text=True, check=True)
            assert json.loads(first.stdout)["cards"] == BIG_NOTE_CARDS, first.stdout
            note.write_text(_big_note(BIG_NOTE_CARDS, edited=True), encoding="utf-8")
            os.utime(note, (1_800_000_000, 1_800_000_000))
            second = subprocess.run([sys.executable, "-c", _BIG_NOTE_SCRIPT, str(home), "edited"], env=env, capture_output=True, text=True, check=True)
            result = json.loads(second.stdout)
            assert result["edited"] == BIG_NOTE_CARDS and result["new"] == 0, result
            seconds.append(result["seconds"])
            peaks.append(result["peak_mb"])
        finally:
            shutil.rmtree(home, ignore_errors=True)
    report.add(f"sync after editing all {BIG_NOTE_CARDS} cards of one note", seconds, note="goal ≤ 5 s (was 209 s)")
    report.add("  peak RSS of that sync process", peaks, unit="MB", note="goal ≤ 300 MB (was 3.1 GB)")
    report.ratio("5,000-card edit sync / 5 s goal", sorted(seconds)[1] / 5.0, "≤ 1")
