"""Fixtures for notes and review: papers in a fresh store, a config, a fixed clock, note writing."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kb import config as config_mod

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def config() -> dict:
    return config_mod.load(Path("/nonexistent/config.toml"))


@pytest.fixture
def make_paper(store):
    from kb import papers

    def _make(title: str = "LoRA: Low-Rank Adaptation of Large Language Models", **fields):
        fields.setdefault("authors", ["Edward J. Hu", "Yelong Shen"])
        fields.setdefault("year", 2021)
        paper, _ = papers.upsert(store, title=title, **fields)
        return paper

    return _make


@pytest.fixture
def notes_root(home, config) -> Path:
    from notes.files import notes_dir

    return notes_dir(home, config)


@pytest.fixture
def write_note(notes_root):
    """Write a note file; a new mtime each time so sync sees the change."""
    import os

    counter = {"n": 0}

    def _write(name: str, text: str) -> Path:
        path = notes_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        counter["n"] += 1
        stamp = 1_700_000_000 + counter["n"]
        os.utime(path, (stamp, stamp))
        return path

    return _write


def note_text(paper, body: str) -> str:
    return f"---\npaper_id: {paper.id}\ncitekey: {paper.citekey}\n---\n# {paper.title}\n\n{body}\n"
