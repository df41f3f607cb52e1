"""Notes: parse every note of a 1,000-paper library holding 10,000 cards and build today's
review queue, against reading the same files alone (goal: at most 3×)."""

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
