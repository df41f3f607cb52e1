"""Plan: each reading plan as a tree (plan → month/phase → week → items) with kinds and status
(`kb plan show`); `s` moves a paper to its next status (`kb status PAPER STATUS`)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, Tree

from tui.messages import Failed, Loaded, OpenPaper
from tui.plain import join, plain
from tui.screens.base import KbScreen
from tui.widgets.status import done_text, next_status, status_text


def paper_status(item: dict) -> str | None:
    return (item.get("paper") or {}).get("status")


def item_label(item: dict) -> Text:
    label = join(done_text(bool(item.get("done"))), " ", (f"{item['kind']:<8}", "italic"), " ",
                 item.get("title") or item.get("text") or "")
    if item.get("paper_id"):
        label.append("  ")
        label.append_text(status_text(paper_status(item)))
    return label


class PlanScreen(KbScreen):
    BINDINGS = [
        Binding("s", "cycle_status", "Status", id="plan.status"),
        Binding("enter", "open", "Open paper", show=False, id="plan.open"),
        Binding("r", "reload", "Refresh", show=False, id="plan.refresh"),
        Binding("d", "toggle_done", "Done", id="plan.done"),
        Binding("x", "remove_plan", "Remove plan", show=False, id="plan.remove"),
        Binding("u", "follow_plan", "Follow on Today", show=False, id="plan.follow"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="plan-empty")
        yield Tree("Plans", id="plan-tree")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="plan")
    def load(self) -> None:
        try:
            from kb.plans import query

            with self.store() as store:
                data = [query.plan_tree(store, plan["id"]) for plan in query.list_plans(store)]
            self.post_message(Loaded("plans", data))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        tree = self.query_one(Tree)
        empty = self.query_one("#plan-empty", Static)
        empty.display = not message.data
        empty.update("No plans yet: import one with `kb plan import FILE`, or build the demo library from Today (t, d).")
        # Keep the cursor on the same item across reloads (a status change reloads the tree).
        selected = tree.cursor_node.data if tree.cursor_node else None
        tree.clear()
        tree.show_root = False
        target = None
        for plan in message.data:
            pnode = tree.root.add(plain(plan["title"] or plan["name"], style="bold"), expand=True)
            for phase in plan["phases"]:
                # Headings as written in the plan; items outside any schedule come last, unlabelled.
                phnode = pnode.add(plain(phase["label"] or "—"), expand=True)
                for week in phase["weeks"]:
                    wnode = phnode.add(plain(week["label"] or "—"), expand=True)
                    for item in week["items"]:
                        leaf = wnode.add_leaf(item_label(item), data={**item, "plan_id": plan["id"]})
                        if selected and item["id"] == selected.get("id"):
                            target = leaf
                        elif target is None and not selected:
                            target = leaf  # start on the first item, not on a heading
        if target is not None:
            self.call_after_refresh(tree.move_cursor, target)  # lines exist after the next layout
        tree.focus()

    def _item(self) -> dict | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None else None

    @on(Tree.NodeSelected)
    def selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data:
            self.action_open()

    def action_open(self) -> None:
        item = self._item()
        if item and item.get("paper_id"):
            self.post_message(OpenPaper(item["paper_id"]))
        elif item:
            self.notify("This item is not linked to a paper in the library.", severity="warning")

    def action_cycle_status(self) -> None:
        item = self._item()
        if item and item.get("paper_id"):
            self.set_status(item["paper_id"], next_status(paper_status(item)))

    @work(thread=True, group="plan-status")
    def set_status(self, paper_id: int, status: str) -> None:
        from kb import papers

        try:
            with self.store() as store:
                papers.set_status(store, paper_id, status)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Status", exc))
        self.app.call_from_thread(self.load)

    def action_remove_plan(self) -> None:
        """As `kb plan remove PLAN`: asks first; the papers and the notes stay."""
        item = self._item()
        plan_id = (item or {}).get("plan_id")
        if not plan_id:
            self.notify("Put the cursor on an item of the plan to remove.", severity="warning")
            return
        from tui.widgets.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_plan(plan_id)

        self.app.push_screen(Confirm("Remove this plan and its items? Its papers stay in the library; your notes stay "
                                     "in the notes folder."), answered)

    def action_follow_plan(self) -> None:
        """As `kb plan use PLAN`: Today shows the week of the plan under the cursor."""
        plan_id = (self._item() or {}).get("plan_id")
        if not plan_id:
            self.notify("Put the cursor on an item of the plan to follow.", severity="warning")
            return
        self.follow_plan(plan_id)

    @work(thread=True, group="plan-status")
    def follow_plan(self, plan_id: int) -> None:
        try:
            from kb.today import follow

            with self.store() as store:
                chosen = follow(store, self.home, plan_id)
            self.app.call_from_thread(self.notify, f"Today follows {chosen['title'] or chosen['plan']}", markup=False)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan", exc))

    @work(thread=True, group="plan-status")
    def remove_plan(self, plan_id: int) -> None:
        try:
            from kb.removal import remove_plan

            with self.store() as store:
                removed = remove_plan(store, str(plan_id))
            self.app.call_from_thread(self.notify, f"removed plan {removed['name']!r}; papers and notes stay", markup=False)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan", exc))
        self.app.call_from_thread(self.load)

    def action_toggle_done(self) -> None:
        """As `kb plan done ITEM` (and `--undo`): tick off a book, course, tutorial, task or paper."""
        item = self._item()
        if item and item.get("id") and item.get("plan_id"):
            self.tick(item["id"], not item.get("done"))

    @work(thread=True, group="plan-status")
    def tick(self, item_id: int, done: bool) -> None:
        try:
            from kb.plans import ticks

            with self.store() as store:
                ticks.set_done(store, ticks.resolve_item(store, str(item_id)), done)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan", exc))
        self.app.call_from_thread(self.load)
