"""Plan items (kind 'paper') ↔ Zotero items: by DOI, then arXiv id, then fuzzy title.

A title match must clear the threshold and stand clear of the runner-up; two candidates that
are close are *ambiguous* and stored for the user (`kb plan unmatched`), never guessed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kb import papers, titles
from kb.store import Store
from kb.zotero.model import REGULAR_ITEM

MARGIN = 5.0  # a title match must beat the second-best candidate by this much


@dataclass
class Candidate:
    library: str
    key: str
    title: str
    score: float
    paper_id: int | None


@dataclass
class MatchResult:
    plan_item_id: int
    state: str  # matched | ambiguous | unmatched
    method: str | None = None
    score: float | None = None
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class MatchReport:
    results: list[MatchResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(r.state for r in self.results)
        return {state: found.get(state, 0) for state in ("matched", "ambiguous", "unmatched")}


def _zotero_items(store: Store) -> list[Candidate | Any]:
    return store.all(
        "SELECT library, key, title, doi, arxiv_id, paper_id FROM zotero_items "
        f"WHERE {REGULAR_ITEM} AND title IS NOT NULL"
    )


def match_item(row: Any, pool: list[Any], index: titles.TitleIndex, threshold: float) -> MatchResult:
    """One plan item against the Zotero items (rows of _zotero_items, their normalised titles in `index`)."""
    doi = papers.normalize_doi(row["doi"])
    arxiv = papers.normalize_arxiv(row["arxiv_id"])
    for method, wanted, column in (("doi", doi, "doi"), ("arxiv", arxiv, "arxiv_id")):
        if not wanted:
            continue
        hits = [z for z in pool if z[column] == wanted]
        if len(hits) == 1:
            return MatchResult(row["id"], "matched", method, 100.0, _cand(hits[0], 100.0))
        if len(hits) > 1:
            return MatchResult(row["id"], "ambiguous", method, 100.0, None, [_cand(z, 100.0) for z in hits])
    title = row["title"] or row["text"] or ""
    norm = titles.normalize(title)
    scores = index.scores(norm)
    # Only titles within 15 points of the threshold are worth sorting (candidates to show).
    close = sorted(((float(scores[i]), pool[i]) for i in (scores >= threshold - 15).nonzero()[0]), key=lambda p: -p[0])
    above = [(s, z) for s, z in close if s >= threshold]
    if not above:
        near = [_cand(z, s) for s, z in close[:3]]
        return MatchResult(row["id"], "unmatched", None, float(scores.max()) if len(scores) else None, None, near)
    best_score, best = above[0]
    rivals = [(s, z) for s, z in above[1:] if best_score - s < MARGIN and z["paper_id"] != best["paper_id"]]
    if rivals:
        return MatchResult(row["id"], "ambiguous", "title", best_score, None, [_cand(best, best_score)] + [_cand(z, s) for s, z in rivals])
    return MatchResult(row["id"], "matched", "title", best_score, _cand(best, best_score))


def _cand(z: Any, score: float) -> Candidate:
    return Candidate(z["library"], z["key"], z["title"], round(float(score), 1), z["paper_id"])


def match_plan_items(store: Store, plan_ids: Sequence[int] | None = None, threshold: float | None = None) -> MatchReport:
    """Match every paper item of the plans (or of these plans) and record the outcome."""
    from kb import config, paths

    if threshold is None:
        threshold = float(config.load(paths.config_path(store.home))["zotero"].get("match_threshold") or titles.MATCH_THRESHOLD)
    pool = _zotero_items(store)
    index = titles.TitleIndex([titles.normalize(z["title"]) for z in pool])
    query = "SELECT * FROM plan_items WHERE kind = 'paper'" + (
        " AND plan_id IN (SELECT value FROM json_each(?))" if plan_ids is not None else "")
    report = MatchReport()
    for row in store.all(query, (json.dumps(list(plan_ids)),) if plan_ids is not None else ()):
        linked = _already_linked(store, row)
        result = linked or match_item(row, pool, index, threshold)
        _record(store, row, result)
        report.results.append(result)
    return report


def _already_linked(store: Store, row: Any) -> MatchResult | None:
    """A plan item whose paper is a synced Zotero item is matched, whatever its title says."""
    if row["paper_id"] is None:
        return None
    z = store.one(f"SELECT library, key, title, paper_id FROM zotero_items WHERE paper_id = ? AND {REGULAR_ITEM} "
                  "ORDER BY key LIMIT 1", (row["paper_id"],))
    if z is None:
        return None
    return MatchResult(row["id"], "matched", "paper", 100.0, _cand(z, 100.0))


def _record(store: Store, row: Any, result: MatchResult) -> None:
    chosen = result.chosen
    with store.tx():
        if result.state == "matched" and chosen is not None and chosen.paper_id is not None:
            if row["paper_id"] is None:
                store.execute("UPDATE plan_items SET paper_id = ? WHERE id = ?", (chosen.paper_id, row["id"]))
            elif row["paper_id"] != chosen.paper_id:
                # The plan's paper and the Zotero item's paper are one work: the plan's paper gets the key.
                taken = store.one("SELECT 1 FROM papers WHERE zotero_library = ? AND zotero_key = ? AND id != ?",
                                  (chosen.library, chosen.key, chosen.paper_id))
                if not taken:
                    store.execute("UPDATE papers SET zotero_key = NULL, zotero_library = NULL WHERE id = ?", (chosen.paper_id,))
                    store.execute("UPDATE papers SET zotero_key = ?, zotero_library = ? WHERE id = ? AND zotero_key IS NULL",
                                  (chosen.key, chosen.library, row["paper_id"]))
                    store.execute("UPDATE zotero_items SET paper_id = ? WHERE library = ? AND key = ?", (row["paper_id"], chosen.library, chosen.key))
        store.execute(
            "INSERT INTO zotero_matches (plan_item_id, state, method, score, library, zotero_key, candidates, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plan_item_id) DO UPDATE SET state = excluded.state, "
            "method = excluded.method, score = excluded.score, library = excluded.library, zotero_key = excluded.zotero_key, "
            "candidates = excluded.candidates, updated_at = excluded.updated_at",
            (row["id"], result.state, result.method, result.score, chosen.library if chosen else None, chosen.key if chosen else None,
             json.dumps([c.__dict__ for c in result.candidates], ensure_ascii=False), papers.now_iso()),
        )


def unmatched(store: Store, plan_name: str | None = None) -> list[dict[str, Any]]:
    """Plan items that are ambiguous or not in Zotero, with their candidates."""
    sql = ("SELECT m.*, i.title, i.text, i.week_label, p.name AS plan FROM zotero_matches m JOIN plan_items i ON i.id = m.plan_item_id "
           "JOIN plans p ON p.id = i.plan_id WHERE m.state != 'matched'" + (" AND p.name = ?" if plan_name else "") +
           " ORDER BY p.name, i.position")
    return [
        {"plan_item_id": r["plan_item_id"], "plan": r["plan"], "title": r["title"] or r["text"], "week": r["week_label"],
         "state": r["state"], "score": r["score"], "candidates": json.loads(r["candidates"] or "[]")}
        for r in store.all(sql, (plan_name,) if plan_name else ())
    ]


def never_matched(store: Store, plan_name: str | None = None) -> int:
    """Plan papers with no recorded match at all (neither matched nor not found)."""
    return store.scalar(
        "SELECT count(*) FROM plan_items i JOIN plans p ON p.id = i.plan_id WHERE i.kind = 'paper' "
        "AND NOT EXISTS (SELECT 1 FROM zotero_matches m WHERE m.plan_item_id = i.id)" + (" AND p.name = ?" if plan_name else ""),
        (plan_name,) if plan_name else ())
