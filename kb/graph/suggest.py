"""`kb next`: unread papers whose prerequisites are all read, in plan order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.graph.build import collect, plan_positions
from kb.store import Store

if TYPE_CHECKING:
    import networkx as nx

_DONE = {"read", "reviewed"}


def suggest_next(store: Store, limit: int = 5, graph: nx.DiGraph | None = None, *, include_plan: bool = True) -> list[dict]:
    """Each suggestion: id, citekey, title, year, reason. Prerequisites are the paper's
    prereq edges; a paper it merely cites does not block it (papers cite dozens of works).
    Without plan order (`include_plan=False`), plans neither rank nor name the suggestions."""
    preds: dict[int, list[int]] = {}
    if graph is not None:
        nodes, edges = dict(graph.nodes(data=True)), {(u, v): d for u, v, d in graph.edges(data=True)}
        preds = {v: list(graph.predecessors(v)) for v in graph}
    else:
        nodes, edges = collect(store, include_plan=include_plan)
        for u, v in edges:  # insertion order: the order build_graph's predecessors() would give
            preds.setdefault(v, []).append(u)
    positions = plan_positions(store) if include_plan else {}
    plan_names = {r["id"]: r["title"] or r["name"] for r in store.all("SELECT id, name, title FROM plans")}
    candidates = []
    for node, data in nodes.items():
        if data["status"] != "unread":
            continue
        before = preds.get(node, [])
        prereqs = [u for u in before if "prereq" in edges[u, node]["kinds"]]
        if any(nodes[u]["status"] not in _DONE for u in prereqs):
            continue
        read_cited = [u for u in before if {"cites", "link"} & set(edges[u, node]["kinds"]) and nodes[u]["status"] in _DONE]
        in_plan = positions.get(node)
        reason = _reason(nodes, prereqs, read_cited)
        # Plan papers first, in plan order; then papers that build most on what was read.
        rank = (0, in_plan[0], in_plan[1], 0) if in_plan else (1, 0, 0, -(len(prereqs) + len(read_cited)))
        plan = plan_names.get(in_plan[0]) if in_plan else None
        candidates.append((rank, data["year"] or 9999, node, reason, plan))
    candidates.sort()
    out = []
    for _, _, node, reason, plan in candidates[:max(0, limit)]:
        data = nodes[node]
        out.append({"id": node, "citekey": data["citekey"], "title": data["title"], "year": data["year"] or None,
                    "reason": reason, "plan": plan})
    return out


def _reason(nodes, prereqs, read_cited) -> str:
    """Why now, in a few words: what was read that this paper needs or builds on."""
    if prereqs:
        return "after " + ", ".join(_short(nodes, u) for u in prereqs)
    if read_cited:
        return "builds on " + ", ".join(_short(nodes, u) for u in read_cited[:3])
    return "no prerequisites"


def _short(nodes, node) -> str:
    title = nodes[node]["title"]
    return title.split(":")[0] if ":" in title[:30] else title[:40]
