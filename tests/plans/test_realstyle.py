"""Paper recall and precision on plans written in the styles of real reading lists (issue 18),
per file and overall: tests/plans/data/realstyle/*.md against expected.json, written by hand.

Goal: overall recall and precision >= 0.95, every file >= 0.85. The table is printed with the
test output (`pytest -s tests/plans/test_realstyle.py` or in the captured output of a failure).
"""

from __future__ import annotations

import json
from pathlib import Path

from kb import catalog
from kb.plans import importer
from kb.plans.decode import read_plan_file

from .conftest import same_paper

DATA = Path(__file__).parent / "data" / "realstyle"


def _expected() -> dict[str, list[dict]]:
    raw = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))["files"]
    return {name: [e if isinstance(e, dict) else {"title": e} for e in entries] for name, entries in raw.items()}


def _matches(found, want: dict) -> bool:
    if found.arxiv_id and want.get("arxiv") == found.arxiv_id:
        return True
    title = found.title or ""
    if want.get("alias") and catalog.squash(want["alias"]) == catalog.squash(title):
        return True
    return bool(title) and same_paper(title, want["title"])


def measure(name: str, wanted: list[dict]) -> dict:
    plans = importer.parse_text(read_plan_file(DATA / name).text)
    found = [i for p in plans for i in p.papers]
    missed = [w["title"] for w in wanted if not any(_matches(f, w) for f in found)]
    spurious = [f.title or f.text for f in found if not any(_matches(f, w) for w in wanted)]
    hit_wanted = len(wanted) - len(missed)
    return {"file": name, "wanted": len(wanted), "found": len(found), "hits": hit_wanted, "missed": missed, "spurious": spurious,
            "recall": hit_wanted / len(wanted), "precision": (len(found) - len(spurious)) / len(found) if found else 0.0}


def table(rows: list[dict]) -> str:
    lines = [f"{'file':<26} {'papers':>6} {'found':>6} {'recall':>7} {'precision':>9}"]
    for r in rows:
        lines.append(f"{r['file']:<26} {r['wanted']:>6} {r['found']:>6} {r['recall']:>7.2f} {r['precision']:>9.2f}")
    wanted = sum(r["wanted"] for r in rows)
    found = sum(r["found"] for r in rows)
    hits = sum(r["hits"] for r in rows)
    good = found - sum(len(r["spurious"]) for r in rows)
    lines.append(f"{'overall':<26} {wanted:>6} {found:>6} {hits / wanted:>7.2f} {good / found if found else 0:>9.2f}")
    return "\n".join(lines)


def test_recall_and_precision_per_file_and_overall(capsys):
    expected = _expected()
    assert len(expected) >= 10
    assert sum(1 for n in expected if n.startswith("zh_")) * 2 >= len(expected)  # half Chinese
    rows = [measure(name, wanted) for name, wanted in sorted(expected.items())]
    with capsys.disabled():
        print("\n" + table(rows))
    problems = [f"{r['file']}: recall {r['recall']:.2f} missed {r['missed']}; precision {r['precision']:.2f} not papers {r['spurious']}"
                for r in rows if r["recall"] < 0.85 or r["precision"] < 0.85]
    assert not problems, "\n".join(problems)
    wanted = sum(r["wanted"] for r in rows)
    found = sum(r["found"] for r in rows)
    recall = sum(r["hits"] for r in rows) / wanted
    precision = (found - sum(len(r["spurious"]) for r in rows)) / found
    assert recall >= 0.95 and precision >= 0.95, (recall, precision, [(r["file"], r["missed"], r["spurious"]) for r in rows])
