"""A paper's ancestors and descendants as an indented text tree, and apart from them its plan
neighbours (read after / read before), which are reading order, not dependencies."""

from __future__ import annotations

import networkx as nx

from kb.graph.build import builds_on

_NEWER_FIRST = "the plan puts the newer paper first"


def subtree(graph: nx.DiGraph, root: int, depth: int, direction: str) -> list[dict]:
    """Nested dicts {id, title, year, status, kinds, origin, children} up to depth levels; "up"
    follows what the paper builds on, "down" what builds on it. A paper appears once (the nearest
    place). Only builds-on edges (cites, prereq, the user's links) are followed: plan order is
    listed apart by `plan_order`, or a reading list would read as a citation chain."""
    seen = {root}

    def walk(node: int, level: int) -> list[dict]:
        if level >= depth:
            return []
        nexts = graph.predecessors(node) if direction == "up" else graph.successors(node)
        items = []
        for other in sorted(nexts, key=lambda n: (graph.nodes[n]["year"] or 0, graph.nodes[n]["title"])):
            edge = graph.edges[other, node] if direction == "up" else graph.edges[node, other]
            if other in seen or not builds_on(edge):
                continue
            seen.add(other)
            kinds = [k for k in edge["kinds"] if k != "plan"]
            items.append({"id": other, "title": graph.nodes[other]["title"], "year": graph.nodes[other]["year"] or None,
                          "status": graph.nodes[other]["status"], "kinds": kinds,
                          "origin": "user" if "link" in kinds or edge["source"] == "user" else edge["source"], "children": []})
        for item in items:
            item["children"] = walk(item["id"], level + 1)
        return items

    return walk(root, 0)


def plan_order(graph: nx.DiGraph, root: int) -> dict[str, list[dict]]:
    """{"read_after": papers a plan puts right before root, "read_before": right after it}, from
    plan-only edges; `back_in_time` marks a pair where the paper read first is the newer one."""
    def item(other: int, edge: dict) -> dict:
        data = graph.nodes[other]
        return {"id": other, "title": data["title"], "year": data["year"] or None, "status": data["status"],
                "back_in_time": bool(edge.get("back_in_time"))}

    after = [item(u, graph.edges[u, root]) for u in graph.predecessors(root) if not builds_on(graph.edges[u, root])]
    before = [item(v, graph.edges[root, v]) for v in graph.successors(root) if not builds_on(graph.edges[root, v])]
    key = lambda d: (d["year"] or 0, d["title"])  # noqa: E731
    return {"read_after": sorted(after, key=key), "read_before": sorted(before, key=key)}


def render(graph: nx.DiGraph, root: int, depth: int) -> str:
    data = graph.nodes[root]
    lines = [f"{data['title']} ({data['year'] or '?'}) #{root}"]
    for heading, direction in (("builds on", "up"), ("built upon by", "down")):
        items = subtree(graph, root, depth, direction)
        lines.append(f"{heading}:" if items else f"{heading}: nothing in the library")
        lines += _lines(items, "")
    order = plan_order(graph, root)
    if order["read_after"] or order["read_before"]:
        lines.append("plan order (your reading order, not a dependency):")
        rows = [("read after", i) for i in order["read_after"]] + [("read before", i) for i in order["read_before"]]
        for n, (label, item) in enumerate(rows):
            note = f"  ({_NEWER_FIRST})" if item["back_in_time"] else ""
            status = "✓ " if item["status"] in ("read", "reviewed") else ""
            lines.append(f"{'└── ' if n == len(rows) - 1 else '├── '}{label} {status}{item['title']} ({item['year'] or '?'}) #{item['id']}{note}")
    return "\n".join(lines)


def _lines(items: list[dict], prefix: str) -> list[str]:
    out = []
    for i, item in enumerate(items):
        last = i == len(items) - 1
        status = "✓ " if item["status"] in ("read", "reviewed") else ""
        kinds = ", ".join("your link" if k == "link" else k for k in item["kinds"])
        out.append(f"{prefix}{'└── ' if last else '├── '}{status}{item['title']} ({item['year'] or '?'}) #{item['id']} [{kinds}]")
        out += _lines(item["children"], prefix + ("    " if last else "│   "))
    return out
