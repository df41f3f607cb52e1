"""Graph: what a paper builds on (its prerequisites, upstream) and what builds on it (downstream),
as a tree expanded on demand, so a big graph is read one level at a time."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, Tree
from textual.widgets.tree import TreeNode

from tui.messages import Loaded, OpenPaper
from tui.plain import plain
from tui.screens.base import KbScreen, describe

UPSTREAM = (("prerequisites", "prerequisite"), ("builds_on", "builds on"))
DOWNSTREAM = (("built_upon_by", "built upon by"),)
# Plan order is reading order, not a dependency: shown apart, never as "builds on".
PLAN = (("read_after", "read after (plan)"), ("read_before", "read before (plan)"))


class GraphScreen(KbScreen):
    BINDINGS = [
        Binding("o", "open", "Open paper", id="graph.open"),
        Binding("escape", "app.pop_screen", "Back", id="graph.back"),
    ]

    def __init__(self, paper_id: int) -> None:
        super().__init__()
        self.paper_id = paper_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="graph-status")
        yield Tree("…", id="graph-tree")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.root.data = {"paper_id": self.paper_id, "loaded": False}
        self.expand(tree.root, self.paper_id)
        tree.focus()

    @work(thread=True, group="graph")
    def expand(self, node: TreeNode, paper_id: int) -> None:
        try:
            from kb import graph, papers

            with self.store() as store:
                title = papers.get(store, paper_id).title
                nb = graph.neighbours(store, paper_id)
            self.post_message(Loaded("neighbours", (node, title, nb)))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("graph-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.what == "graph-error":
            self.query_one("#graph-status", Static).update(plain(describe(message.data)))
            return
        node, title, nb = message.data
        node.data["loaded"] = True
        if node.is_root:
            node.set_label(plain(title or "?", style="bold"))
            self.sub_title = title or ""
            self.query_one("#graph-status", Static).update(
                "↑ upstream: what it builds on · ↓ downstream: what builds on it · enter expands · o opens")
        node.remove_children()
        shown: set[tuple[str, int]] = set()  # prerequisites are also in builds_on: list each once
        for direction, groups in (("↑", UPSTREAM), ("↓", DOWNSTREAM), ("·", PLAN)):
            for key, label in groups:
                for n in nb.get(key) or []:
                    pid = n["id"]
                    if (direction, pid) in shown:
                        continue
                    shown.add((direction, pid))
                    text = plain(f"{direction} {label}: {n.get('title', '')}")  # data, never markup
                    if n.get("back_in_time"):
                        text.append(" (the plan puts the newer paper first)", style="dim")
                    child = node.add(text, data={"paper_id": pid, "loaded": False})
                    child.allow_expand = True
        if not node.children:
            node.add_leaf(Text("(no known links)", style="dim"))
        node.expand()

    @on(Tree.NodeExpanded)
    def expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if data and not data["loaded"] and data.get("paper_id"):
            self.expand(event.node, data["paper_id"])

    def action_open(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node and node.data and node.data.get("paper_id"):
            self.post_message(OpenPaper(node.data["paper_id"]))
