"""Helpers for the plan tests: expected paper lists written by hand, and the scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def expected(name: str) -> dict:
    return json.loads((DATA / f"expected_{name}.json").read_text(encoding="utf-8"))


def same_paper(a: str, b: str) -> bool:
    from kb import catalog, titles

    if titles.similarity(titles.normalize(a), titles.normalize(b)) >= titles.MATCH_THRESHOLD:
        return True
    ea, eb = catalog.lookup(title=a), catalog.lookup(title=b)
    return ea is not None and ea == eb


def score(found: list[str], wanted: list[str]) -> tuple[float, float, list[str], list[str]]:
    """(recall, precision, missed, spurious) over distinct titles."""
    from kb import titles

    def distinct(xs):
        out, seen = [], set()
        for x in xs:
            n = titles.normalize(x)
            if n not in seen:
                seen.add(n)
                out.append(x)
        return out

    found, wanted = distinct(found), distinct(wanted)
    missed = [w for w in wanted if not any(same_paper(w, f) for f in found)]
    spurious = [f for f in found if not any(same_paper(f, w) for w in wanted)]
    recall = 1 - len(missed) / len(wanted) if wanted else 1.0
    precision = 1 - len(spurious) / len(found) if found else 0.0
    return recall, precision, missed, spurious


@pytest.fixture
def seed_path(seeds_dir):
    def _path(prefix: str) -> Path:
        matches = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
        assert matches, f"no seed {prefix}_* in {seeds_dir}"
        return matches[0]

    return _path
