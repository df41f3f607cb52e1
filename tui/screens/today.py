"""Today: cards due, this week's plan items, what to read next, recent runs.

With an empty library it offers to build the demo library or import a plan instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Input, Static

from tui import domain
from tui.messages import Failed, LibraryChanged, Loaded, OpenPaper
from tui.screens.base import KbScreen
from tui.widgets.status import done_text, status_text

NOT_YET = "not available yet"


@dataclass
class TodayData:
    papers: int = 0
    due: int | None = None  # None: reviews not available
    week_title: str = ""
    week: list[dict[str, Any]] | None = None
    read_next: list[dict[str, Any]] | None = None
    runs: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)


def load_today(home: Path) -> TodayData:
    """Everything Today shows, read in one worker with one connection."""
    from tui import readers

    data = TodayData()
    with domain.store(home) as store:
        data.papers = store.scalar("SELECT count(*) FROM papers") or 0
        data.due = readers.due_count(store, home)
        data.week_title, data.week = readers.this_week(store)
        data.read_next = readers.read_next(store, limit=8)
        data.runs = readers.recent_runs(store, home, limit=6)
    return data


class TodayScreen(KbScreen):
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="today.refresh"),
        Binding("d", "demo", "Demo library", show=False, id="today.demo"),
        Binding("i", "import_plan", "Import plan", show=False, id="today.import"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="welcome"):
            yield Static(
                "Your library is empty.\n\n"
                "Build the demo library (a bilingual reading plan and a dozen generated papers) to look "
                "around, or import your own Markdown reading plan.",
                id="welcome-text",
            )
            yield Button("Build the demo library (d)", id="build-demo", variant="primary")
            yield Input(placeholder="path to a Markdown plan, then Enter (i)", id="plan-path")
            yield Static("", id="welcome-progress")
        with Grid(id="today-grid"):
            with Vertical(id="due-panel", classes="panel"):
                yield Static("…", id="due")
            with Vertical(id="week-panel", classes="panel"):
                yield DataTable(id="week", cursor_type="row", zebra_stripes=True)
            with Vertical(id="next-panel", classes="panel"):
                yield DataTable(id="next", cursor_type="row")
            with Vertical(id="runs-panel", classes="panel"):
                yield DataTable(id="runs", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#due-panel").border_title = "Cards due"
        self.query_one("#week-panel").border_title = "This week"
        self.query_one("#next-panel").border_title = "Read next"
        self.query_one("#runs-panel").border_title = "Recent runs"
        self.query_one("#week", DataTable).add_columns("done", "status", "kind", "item")
        self.query_one("#next", DataTable).add_columns("paper", "why")
        self.query_one("#runs", DataTable).add_columns("run", "paper", "result", "when")
        self.query_one("#welcome").display = False

    def on_screen_resume(self) -> None:
        # Coming back from a paper or a review: statuses and due counts may have changed. The
        # load waits for the first paint: its imports (graph, scheduler) would contend for the GIL.
        self.call_after_refresh(self.load)

    def on_library_changed(self, _: LibraryChanged) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="today")
    def load(self) -> None:
        try:
            self.post_message(Loaded("today", load_today(self.home)))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed silently
            self.post_message(Failed("Today", exc))
            self.post_message(Loaded("today-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.what == "demo":
            self.query_one("#welcome-progress", Static).update(message.data)
            self.load()
            return
        if message.what == "today-error":
            from tui.screens.base import describe

            self.query_one("#due", Static).update(f"Could not read today's overview: {describe(message.data)}")
            return
        if message.what != "today":
            return
        data: TodayData = message.data
        empty = data.papers == 0
        self.query_one("#welcome").display = empty
        self.query_one("#today-grid").display = not empty
        if empty:
            self.query_one("#build-demo").focus()
            return
        self.sub_title = f"{data.papers} papers"
        due = self.query_one("#due", Static)
        if data.due is None:
            due.update(f"Flash cards: {NOT_YET}")
        elif data.due:
            due.update(f"[b]{data.due}[/b] cards due · press [b]v[/b] to review")
        else:
            due.update("No cards due. ✔")
        self.query_one("#week-panel").border_title = f"This week · {data.week_title}" if data.week_title else "This week"
        week = self.query_one("#week", DataTable)
        week.clear()
        if data.week is None:
            week.add_row("", "", "", f"Plans: {NOT_YET}")
        for item in data.week or []:
            # Status before the title: long titles must not push it off a narrow screen.
            week.add_row(done_text(item.get("done")), status_text(item.get("status")) if item.get("paper_id") else "",
                         item.get("kind", ""), item.get("title") or item.get("text", ""),
                         key=str(item["paper_id"]) if item.get("paper_id") else None)
        nxt = self.query_one("#next", DataTable)
        nxt.clear()
        if data.read_next is None:
            nxt.add_row(f"Suggestions: {NOT_YET}", "")
        for item in data.read_next or []:
            # Titles are long and the panel is half the screen: the reason must stay visible.
            title = Text(item["title"])
            title.truncate(34, overflow="ellipsis")
            nxt.add_row(title, item.get("why", ""), key=str(item["paper_id"]))
        runs = self.query_one("#runs", DataTable)
        runs.clear()
        if data.runs is None:
            runs.add_row(f"Reproductions: {NOT_YET}", "", "", "")
        elif not data.runs:
            runs.add_row("No runs yet", "", "", "")
        for run in data.runs or []:
            runs.add_row(run.get("name", ""), run.get("paper", ""), run.get("result", ""), run.get("when", ""),
                         key=str(run["paper_id"]) if run.get("paper_id") else None)

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key.isdigit():
            self.post_message(OpenPaper(int(key)))

    # -- empty library ---------------------------------------------------------------------
    @on(Button.Pressed, "#build-demo")
    def action_demo(self) -> None:
        self.query_one("#welcome-progress", Static).update("Building the demo library…")
        self.build_demo()

    def action_import_plan(self) -> None:
        self.query_one("#plan-path", Input).focus()

    @work(thread=True, exclusive=True, group="today-setup")
    def build_demo(self) -> None:
        try:
            demo = domain.load("kb.demo", "The demo library")
            with self.store() as store:
                summary = demo.build(store, self.home)
            self.post_message(Loaded("demo", f"Demo library ready: {_describe(summary)}"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Demo library", exc))

    @on(Input.Submitted, "#plan-path")
    def import_plan(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if path:
            self.query_one("#welcome-progress", Static).update(f"Importing {path}…")
            self._import(Path(path).expanduser())

    @work(thread=True, exclusive=True, group="today-setup")
    def _import(self, path: Path) -> None:
        try:
            importer = domain.load("kb.plans.importer", "Plan import")
            with self.store() as store:
                result = importer.import_plan(store, path)
            self.post_message(Loaded("demo", f"Imported {path.name}: {_describe(result)}"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan import", exc))


def _describe(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, (int, str)))[:120]
    return str(result)[:120] if result is not None else "done"
