"""Writing the graph for other tools: Graphviz dot, GraphML (Gephi, yEd), node-link JSON."""

from __future__ import annotations

import json

import networkx as nx

FORMATS = ("dot", "graphml", "json")
_STYLE = {"cites": "solid", "prereq": "bold", "link": "bold", "plan": "dashed"}


def to_dot(graph: nx.DiGraph) -> str:
    lines = ["digraph papers {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for node, data in sorted(graph.nodes(data=True)):
        label = f"{data['title'][:60]}\\n{data['year'] or ''}"
        lines.append(f"  p{node} [label={_quote(label)}{', style=filled, fillcolor=lightgrey' if data['status'] in ('read', 'reviewed') else ''}];")
    for u, v, data in sorted(graph.edges(data=True)):
        lines.append(f"  p{u} -> p{v} [label={_quote(_label(data))}, style={_STYLE[data['kind']]}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(edge: dict) -> str:
    """Plan order reads "read after" (never "builds on"), and says so when it goes back in time."""
    if edge["relation"] == "read after":
        return "read after (newer first)" if edge["back_in_time"] else "read after"
    return "your link" if edge["kind"] == "link" else edge["kind"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n") + '"'


def to_graphml(graph: nx.DiGraph) -> str:
    flat = nx.DiGraph()
    flat.add_nodes_from((n, {k: v for k, v in d.items()}) for n, d in graph.nodes(data=True))
    flat.add_edges_from((u, v, {"kind": d["kind"], "kinds": ",".join(d["kinds"]), "source": d["source"],
                                          "relation": d["relation"], "back_in_time": d["back_in_time"]}) for u, v, d in graph.edges(data=True))
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def to_json(graph: nx.DiGraph) -> str:
    data = {
        "direction": ("source → target: relation 'builds on' (cites, prereq, link: the user's [[citekey]] in the target's note) "
                      "means the target builds on the source; relation 'read after' (plan order only) means a plan reads "
                      "the target after the source, and back_in_time marks a newer source; origin says who made it"),
        "nodes": [dict(id=n, **d) for n, d in sorted(graph.nodes(data=True))],
        "edges": [dict(d, source=u, target=v, origin=d["source"]) for u, v, d in sorted(graph.edges(data=True))],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def export(graph: nx.DiGraph, fmt: str) -> str:
    return {"dot": to_dot, "graphml": to_graphml, "json": to_json}[fmt](graph)
