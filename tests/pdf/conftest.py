"""The ten real papers, extracted once per session (through the child-process path users get)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import SHARED

ARXIV_IDS = ["1503.02531", "1706.03762", "1810.04805", "1902.00751", "1910.01108",
             "2001.08361", "2106.09685", "2205.14135", "2208.07339", "2305.14314"]


@pytest.fixture(scope="session")
def extracted():
    """arXiv id → (Document, seconds)."""
    from kb.pdf.extract import extract

    out = {}
    for arxiv in ARXIV_IDS:
        start = time.perf_counter()
        doc = extract(Path(SHARED) / "papers" / f"{arxiv}.pdf", timeout_s=60)
        out[arxiv] = (doc, time.perf_counter() - start)
    return out


@pytest.fixture(scope="session")
def docs(extracted):
    return {k: v[0] for k, v in extracted.items()}
