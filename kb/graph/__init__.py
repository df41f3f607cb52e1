"""The dependency graph (networkx): citations found in reference lists, curated and user
prerequisites, and plan order. An edge u → v means "v builds on u" (see build.py)."""

from kb.graph.build import build_graph, neighbours
from kb.graph.links import link, unlink
from kb.graph.suggest import suggest_next

__all__ = ["build_graph", "neighbours", "suggest_next", "link", "unlink"]
