"""`kb next`: unread papers whose prerequisites are all read, in plan order."""

from __future__ import annotations

import networkx as nx

from kb.graph.build import build_graph, plan_positions
from kb.store import Store

_DONE = {"read", "reviewed"}


def suggest_next(store: Store, limit: int = 5, graph: nx.DiGraph | None = None) -> list[dict]:
    """Each suggestion: id, citekey, title, year, reason. Prerequisites are the paper's
    prereq edges; a paper it merely cites does not block it (papers cite dozens of works)."""
    graph = graph if graph is not None else build_graph(store)
    positions = plan_positions(store)
    plan_names = {r["id"]: r["title"] or r["name"] for r in store.all("SELECT id, name, title FROM plans")}
    candidates = []
    for node, data in graph.nodes(data=True):
        if data["status"] != "unread":
            continue
        prereqs = [u for u in graph.predecessors(node) if "prereq" in graph.edges[u, node]["kinds"]]
        if any(graph.nodes[u]["status"] not in _DONE for u in prereqs):
            continue
        read_cited = [u for u in graph.predecessors(node) if "cites" in graph.edges[u, node]["kinds"] and graph.nodes[u]["status"] in _DONE]
        in_plan = positions.get(node)
        reason = _reason(graph, prereqs, read_cited, in_plan, plan_names)
        # Plan papers first, in plan order; then papers that build most on what was read.
        rank = (0, in_plan[0], in_plan[1], 0) if in_plan else (1, 0, 0, -(len(prereqs) + len(read_cited)))
        candidates.append((rank, data["year"] or 9999, node, reason))
    candidates.sort()
    out = []
    for _, _, node, reason in candidates[:max(0, limit)]:
        data = graph.nodes[node]
        out.append({"id": node, "citekey": data["citekey"], "title": data["title"], "year": data["year"] or None, "reason": reason})
    return out


def _reason(graph, prereqs, read_cited, in_plan, plan_names) -> str:
    parts = []
    if prereqs:
        parts.append("prerequisites read: " + ", ".join(_short(graph, u) for u in prereqs))
    elif read_cited:
        parts.append("builds on what you read: " + ", ".join(_short(graph, u) for u in read_cited[:3]))
    else:
        parts.append("no prerequisites")
    if in_plan:
        name = str(plan_names.get(in_plan[0], in_plan[0]))
        parts.append(f"in plan {name if len(name) <= 18 else name[:17] + '…'}")
    return "; ".join(parts)


def _short(graph, node) -> str:
    title = graph.nodes[node]["title"]
    return title.split(":")[0] if ":" in title[:30] else title[:40]
