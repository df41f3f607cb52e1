"""The dependency graph as a networkx DiGraph.

Direction: an edge u → v means u comes first. Edge attribute `kind`:
  cites   v's reference list cites u                                   (v builds on u)
  prereq  u is a prerequisite of v (curated, `source="catalog"`, or the user's, `source="user"`)
  link    v's note links to u with [[citekey]]: the user's own edge      (v builds on u)
  plan    u comes right before v in a reading plan                      (v is read after u)
Two papers joined by several kinds keep one edge whose `kinds` lists them all; `kind` is the
strongest (prereq > link > cites > plan).

Only cites, prereq and link say "builds on". Plan order is the user's reading order, not a
dependency: a plan-only edge has `relation="read after"`, and `back_in_time=True` when the plan
puts a newer paper first (a 2023 paper before a 2015 one), so no view presents it as the older
paper building on the newer one. Every edge carries `relation` ("builds on" or "read after").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.graph.links import curated
from notes.links import backlinks as links_backlinks
from notes.links import outgoing as links_outgoing
from notes.links import pairs as note_link_pairs
from kb.store import Store

if TYPE_CHECKING:
    import networkx as nx

_STRENGTH = {"prereq": 4, "link": 3, "cites": 2, "plan": 1}
BUILDS_ON = frozenset(("cites", "prereq", "link"))


def builds_on(edge: dict) -> bool:
    """Whether an edge is a dependency (cites, prerequisite, the user's link), not plan order only."""
    return bool(BUILDS_ON.intersection(edge["kinds"]))

Nodes = dict[int, dict]
Edges = dict[tuple[int, int], dict]


def build_graph(store: Store, *, include_plan: bool = True) -> nx.DiGraph:
    import networkx as nx

    nodes, edges = collect(store, include_plan=include_plan)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes.items())
    graph.add_edges_from((u, v, data) for (u, v), data in edges.items())
    return graph


def collect(store: Store, *, include_plan: bool = True) -> tuple[Nodes, Edges]:
    """The graph as plain dicts: node id -> attributes, (u, v) -> edge attributes. Paths that only
    look at neighbours (the Today screen's "read next") use these and skip importing networkx,
    which costs a quarter of a second at start-up."""
    nodes: Nodes = {}
    for row in store.all("SELECT id, citekey, title, year, arxiv_id, status FROM papers"):
        nodes[row["id"]] = {"citekey": row["citekey"], "title": row["title"], "year": row["year"] or 0,
                            "arxiv_id": row["arxiv_id"] or "", "status": row["status"]}
    edges: Edges = {}
    vetoed = set()
    for row in store.all("SELECT src_paper_id, dst_paper_id, kind, source FROM paper_edges"):
        if row["source"] == "user-removed":
            vetoed.add((row["src_paper_id"], row["dst_paper_id"]))
        else:
            _add(nodes, edges, row["src_paper_id"], row["dst_paper_id"], row["kind"], row["source"])
    by_arxiv = {data["arxiv_id"]: node for node, data in nodes.items() if data["arxiv_id"]}
    for edge in curated():
        src, dst = by_arxiv.get(edge["before"]), by_arxiv.get(edge["after"])
        if src and dst and (src, dst) not in vetoed:
            _add(nodes, edges, src, dst, "prereq", "catalog", why=edge.get("why", ""))
    for src, dst in note_link_pairs(store):
        # A link against an existing edge (the linked paper cites the linking one) would make a cycle.
        if (dst, src) not in vetoed and (src, dst) not in edges:
            _add(nodes, edges, dst, src, "link", "user")
    if include_plan:
        for src, dst in _plan_pairs(store):
            if src != dst and (dst, src) not in edges:
                _add(nodes, edges, src, dst, "plan", "plan")
    for (src, dst), data in edges.items():
        data["relation"] = "builds on" if builds_on(data) else "read after"
        older, newer = nodes[dst]["year"], nodes[src]["year"]
        data["back_in_time"] = bool(data["relation"] == "read after" and older and newer and newer > older)
    return nodes, edges


def _add(nodes: Nodes, edges: Edges, src: int, dst: int, kind: str, source: str, why: str = "") -> None:
    if src not in nodes or dst not in nodes:
        return
    data = edges.get((src, dst))
    if data is not None:
        if kind not in data["kinds"]:
            data["kinds"] = sorted(set(data["kinds"]) | {kind}, key=lambda k: -_STRENGTH[k])
        if _STRENGTH[kind] > _STRENGTH[data["kind"]]:
            data.update(kind=kind, source=source)
        if why and not data.get("why"):
            data["why"] = why
        return
    edges[(src, dst)] = {"kind": kind, "kinds": [kind], "source": source, "why": why}


def _plan_pairs(store: Store) -> list[tuple[int, int]]:
    """Consecutive papers of each plan, in plan order."""
    rows = store.all(
        "SELECT plan_id, paper_id FROM plan_items WHERE paper_id IS NOT NULL ORDER BY plan_id, position"
    )
    pairs, previous = [], {}
    for row in rows:
        prev = previous.get(row["plan_id"])
        if prev is not None and prev != row["paper_id"]:
            pairs.append((prev, row["paper_id"]))
        previous[row["plan_id"]] = row["paper_id"]
    return pairs


def plan_positions(store: Store) -> dict[int, tuple[int, int]]:
    """paper id → (plan id, position) of its first appearance in any plan."""
    out: dict[int, tuple[int, int]] = {}
    for row in store.all("SELECT plan_id, position, paper_id FROM plan_items WHERE paper_id IS NOT NULL ORDER BY plan_id, position"):
        out.setdefault(row["paper_id"], (row["plan_id"], row["position"]))
    return out


def neighbours(store: Store, paper_id: int, graph: nx.DiGraph | None = None) -> dict[str, list[dict]]:
    """What the paper builds on (cites, needs, or the user linked), what builds on it, its
    prerequisites, the user's [[links]] both ways (links_to; linked_from: the backlinks), and
    apart from those its plan neighbours: read_after (the paper right before it in a plan) and
    read_before (right after it). Plan order is never called "builds on"."""
    graph = graph if graph is not None else build_graph(store)
    if paper_id not in graph:
        return {"builds_on": [], "built_upon_by": [], "prerequisites": [], "links_to": [], "linked_from": [],
                "read_after": [], "read_before": []}

    def describe(node: int, edge: dict) -> dict:
        data = graph.nodes[node]
        return {"id": node, "citekey": data["citekey"], "title": data["title"], "year": data["year"] or None,
                "status": data["status"], "kind": edge["kind"], "kinds": list(edge["kinds"]),
                "back_in_time": edge.get("back_in_time", False)}

    ins = [(u, graph.edges[u, paper_id]) for u in graph.predecessors(paper_id)]
    outs = [(v, graph.edges[paper_id, v]) for v in graph.successors(paper_id)]
    up = [describe(u, e) for u, e in ins if builds_on(e)]
    down = [describe(v, e) for v, e in outs if builds_on(e)]
    prereqs = [d for d in up if "prereq" in d["kinds"]]
    key = lambda d: (d["year"] or 0, d["title"])  # noqa: E731
    return {"builds_on": sorted(up, key=key), "built_upon_by": sorted(down, key=key), "prerequisites": sorted(prereqs, key=key),
            # From the notes themselves: a link against a citation's direction adds no graph edge
            # (it would make a cycle) but is still a link, and still a backlink.
            "links_to": _linked(graph, [r["paper_id"] for r in links_outgoing(store, paper_id) if r["paper_id"]], key),
            "linked_from": _linked(graph, [r["id"] for r in links_backlinks(store, paper_id)], key),
            "read_after": sorted((describe(u, e) for u, e in ins if not builds_on(e)), key=key),
            "read_before": sorted((describe(v, e) for v, e in outs if not builds_on(e)), key=key)}


def _linked(graph: nx.DiGraph, ids: list[int], key) -> list[dict]:
    out = []
    for node in dict.fromkeys(ids):  # each paper once, in order
        if node in graph:
            data = graph.nodes[node]
            out.append({"id": node, "citekey": data["citekey"], "title": data["title"], "year": data["year"] or None,
                        "status": data["status"], "kind": "link", "kinds": ["link"], "back_in_time": False})
    return sorted(out, key=key)
