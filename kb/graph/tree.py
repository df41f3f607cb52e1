"""A paper's ancestors and descendants as an indented text tree."""

from __future__ import annotations

import networkx as nx

_MARK = {"cites": "cites", "prereq": "prereq", "plan": "plan"}


def subtree(graph: nx.DiGraph, root: int, depth: int, direction: str) -> list[dict]:
    """Nested dicts {id, title, year, kind, children} up to depth levels; "up" follows what the
    paper builds on, "down" what builds on it. A paper appears once (the nearest place).

    Plan order is a neighbour relation, not a dependency: a plan-only edge is shown next to
    the root but never followed further, or a reading list would read as a citation chain."""
    seen = {root}

    def walk(node: int, level: int) -> list[dict]:
        if level >= depth:
            return []
        nexts = graph.predecessors(node) if direction == "up" else graph.successors(node)
        items = []
        for other in sorted(nexts, key=lambda n: (graph.nodes[n]["year"] or 0, graph.nodes[n]["title"])):
            if other in seen:
                continue
            seen.add(other)
            edge = graph.edges[other, node] if direction == "up" else graph.edges[node, other]
            if level > 0 and edge["kinds"] == ["plan"]:
                seen.discard(other)
                continue
            items.append({"id": other, "title": graph.nodes[other]["title"], "year": graph.nodes[other]["year"] or None,
                          "status": graph.nodes[other]["status"], "kinds": list(edge["kinds"]), "children": []})
        for item in items:
            if item["kinds"] != ["plan"]:
                item["children"] = walk(item["id"], level + 1)
        return items

    return walk(root, 0)


def render(graph: nx.DiGraph, root: int, depth: int) -> str:
    data = graph.nodes[root]
    lines = [f"{data['title']} ({data['year'] or '?'}) #{root}"]
    for heading, direction in (("builds on", "up"), ("built upon by", "down")):
        items = subtree(graph, root, depth, direction)
        lines.append(f"{heading}:" if items else f"{heading}: nothing in the library")
        lines += _lines(items, "")
    return "\n".join(lines)


def _lines(items: list[dict], prefix: str) -> list[str]:
    out = []
    for i, item in enumerate(items):
        last = i == len(items) - 1
        status = "✓ " if item["status"] in ("read", "reviewed") else ""
        out.append(f"{prefix}{'└── ' if last else '├── '}{status}{item['title']} ({item['year'] or '?'}) #{item['id']} [{', '.join(item['kinds'])}]")
        out += _lines(item["children"], prefix + ("    " if last else "│   "))
    return out
