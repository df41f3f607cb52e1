"""Today: cards due, this week's plan items, what to read next, recent runs (`kb today`).

With an empty library it offers to build the demo library (`kb demo`) or import a plan
(`kb plan import FILE`) instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Header, Static

from tui.messages import Failed, LibraryChanged, Loaded, OpenPaper, OpenRun
from tui.plain import join, plain
from tui.screens.base import KbScreen
from tui.widgets.status import done_text, status_text, verdict_text

# The Read-next panel is half the screen: the title gets this many cells and the reason wraps
# under it, so "prerequisites read: …" is never cut off.
NEXT_TITLE_WIDTH = 24
# The runs' paper column: a title (as `kb today` shows it) cut to this many cells, so a long one
# never widens the table past the panel and pushes the run's own columns off screen.
RUN_PAPER_WIDTH = 24
RUN_NAME_WIDTH = 16  # "#12 kd (tiny)": the run, its reproduction and preset (kb.today)
RESULT_WIDTH = 26  # a symbol, a space and the longest verdict label (reproductions.records.VERDICT_LABELS)


class TodayScreen(KbScreen):
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="today.refresh"),
        Binding("d", "demo", "Demo library", show=False, id="today.demo"),
        Binding("i", "import_plan", "Import plan", show=False, id="today.import"),
    ]

    built = False  # the panels exist (they are mounted after the first frame)

    def compose(self) -> ComposeResult:
        # The first frame is the header and the footer only: the panels, their widgets' modules
        # (DataTable, Button, Input) and their data come after it is on screen (issue 19, goal 6).
        yield Header()
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._build)

    async def _build(self) -> None:
        from textual.widgets import DataTable

        from tui.widgets.table import Table

        grid = Grid(
            Vertical(Static("…", id="due"), id="due-panel", classes="panel"),
            Vertical(Table(id="week", cursor_type="row", zebra_stripes=True), id="week-panel", classes="panel"),
            Vertical(Table(id="next", cursor_type="row"), id="next-panel", classes="panel"),
            Vertical(Table(id="runs", cursor_type="row"), id="runs-panel", classes="panel"),
            id="today-grid",
        )
        await self.mount(grid, before=self.query_one(Footer))
        self.query_one("#due-panel").border_title = "Cards due"
        self.query_one("#week-panel").border_title = "This week"
        self.query_one("#next-panel").border_title = "Read next"
        self.query_one("#runs-panel").border_title = "Recent runs"
        self.query_one("#week", DataTable).add_columns("done", "status", "kind", "item")
        nxt = self.query_one("#next", DataTable)
        nxt.add_column("paper", width=NEXT_TITLE_WIDTH)
        nxt.add_column("why")
        # The verdict right after the run: at 80 columns the paper and the time may be cut, not it.
        runs = self.query_one("#runs", DataTable)
        # The run and its verdict get their widths, so at 80 columns they are what stays whole.
        runs.add_column("run", width=RUN_NAME_WIDTH)
        runs.add_column("result", width=RESULT_WIDTH)
        runs.add_column("when", width=16)  # "YYYY-MM-DD HH:MM" (kb.today)
        runs.add_column("paper", width=RUN_PAPER_WIDTH)
        self.built = True
        self.load()

    def on_screen_resume(self) -> None:
        # Coming back from a paper or a review: statuses and due counts may have changed. The
        # load waits for the first paint: its imports (graph, scheduler) would contend for the GIL.
        if self.built:
            self.call_after_refresh(self.load)

    def on_library_changed(self, _: LibraryChanged) -> None:
        if self.built:
            self.load()

    def action_refresh(self) -> None:
        if self.built:
            self.load()

    @work(thread=True, exclusive=True, group="today")
    def load(self) -> None:
        from kb.today import today

        try:
            with self.store() as store:
                # The same read model as `kb today`.
                self.post_message(Loaded("today", today(store, self.home, self.config(), next_limit=8, runs_limit=6)))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never swallowed silently
            self.post_message(Failed("Today", exc))
            self.post_message(Loaded("today-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        from textual.widgets import DataTable

        from tui.widgets.table import Table
        if message.what == "demo":
            self._progress(plain(message.data))
            self.load()
            return
        if message.what == "today-error":
            from tui.screens.base import describe

            self.query_one("#due", Static).update(plain(f"Could not read today's overview: {describe(message.data)}"))
            return
        if message.what != "today":
            return
        data: dict[str, Any] = message.data
        empty = data["papers"] == 0
        self._show_welcome(empty)
        self.query_one("#today-grid").display = not empty
        if empty:
            if self.query("#build-demo"):
                self.query_one("#build-demo").focus()
            return
        if self.focused is None or not self.focused.display or self.focused.id in ("build-demo", "plan-path"):
            # The welcome is gone (the demo was just built): a hidden input must not keep the
            # focus, or the next key (p, l, /) would be typed into it instead of moving on.
            self.query_one("#week", DataTable).focus()
        self.sub_title = f"{data['papers']} papers"
        due = self.query_one("#due", Static)
        if data["due"]:
            due.update(join((str(data["due"]), "bold"), " cards due · press ", ("v", "bold"), " to review"))
        else:
            due.update("No cards due. ✔")
        week = data["week"]
        panel = self.query_one("#week-panel")
        panel.border_title = join("This week · ", week["title"]) if week else "This week"
        several = week is not None and week["plans"] > 1 and not week["chosen"]
        panel.border_subtitle = f"the first of {week['plans']} plans · u on a Plan item follows another" if several else ""
        table = self.query_one("#week", Table)
        table.clear()
        # Every row is keyed by its own id (a plan may list one paper twice, a paper may have many
        # runs); what Enter opens is looked up here.
        self._opens: dict[str, tuple[str, int]] = {}
        if week is None:
            table.add_row("", "", "", "No plans yet: import one with `kb plan import FILE`")
        for item in (week or {}).get("items", []):
            # Status before the title: long titles must not push it off a narrow screen.
            key = f"item:{item['id']}"
            table.add_row(done_text(item.get("done")), status_text(item.get("status")) if item.get("paper_id") else "",
                          plain(item.get("kind", "")), plain(item.get("title") or item.get("text", "")), key=key)
            if item.get("paper_id"):
                self._opens[key] = ("paper", item["paper_id"])
        table.fit()
        nxt = self.query_one("#next", Table)
        nxt.clear()
        if not data["read_next"]:
            nxt.add_row("—", "nothing unread has all its prerequisites read")
        for item in data["read_next"]:
            title = plain(item["title"])
            title.truncate(NEXT_TITLE_WIDTH, overflow="ellipsis")
            reason = plain(item.get("reason", ""))
            # A row is as tall as its reason once wrapped to the room the panel leaves it.
            lines = reason.wrap(self.app.console, self._reason_width())
            nxt.add_row(title, Text("\n").join(lines), key=f"next:{item['id']}", height=max(1, len(lines)))
            self._opens[f"next:{item['id']}"] = ("paper", item["id"])
        nxt.fit()
        runs = self.query_one("#runs", Table)
        runs.clear()
        if not data["runs"]:
            runs.add_row("No runs yet", "", "", "")
        for run in data["runs"]:
            key = f"run:{run['id']}"
            # The paper by its title, as `kb today` names it: the arXiv id alone says little.
            paper = plain(run.get("paper_title") or run.get("paper", ""))
            paper.truncate(RUN_PAPER_WIDTH, overflow="ellipsis")
            runs.add_row(plain(run.get("name", "")), verdict_text(run.get("verdict")), plain(run.get("when", "")),
                         paper, key=key)
            self._opens[key] = ("run", run["id"])
        runs.fit()

    def _show_welcome(self, empty: bool) -> None:
        """The welcome (build the demo, import a plan) exists only while the library is empty: a
        full library never pays for its widgets before its first frame."""
        found = self.query("#welcome")
        if found:
            found.first().display = empty
            return
        if not empty:
            return
        from textual.widgets import Button, Input

        self.mount(Vertical(
            Static("Your library is empty.\n\n"
                   "Build the demo library (a bilingual reading plan and a dozen generated papers) to look "
                   "around, or import your own Markdown reading plan.", id="welcome-text"),
            Button("Build the demo library (d)", id="build-demo", variant="primary"),
            Input(placeholder="path to a Markdown plan, then Enter (i)", id="plan-path"),
            Static("", id="welcome-progress"),
            id="welcome",
        ), before=self.query_one("#today-grid"))
        self.call_after_refresh(lambda: self.query_one("#build-demo").focus())

    def _progress(self, text) -> None:
        """A line under the welcome's buttons, or a notification once the welcome is gone."""
        found = self.query("#welcome-progress")
        if found and found.first().display and self.query_one("#welcome").display:
            found.first().update(text)
        else:
            self.notify(text, markup=False) if isinstance(text, str) else self.notify(text.plain, markup=False)

    def _reason_width(self) -> int:
        # The table's width less the title column, the cells' padding (1 each side) and a scrollbar.
        return max(16, self.query_one("#next").size.width - NEXT_TITLE_WIDTH - 2 * 2 - 2)

    # Handlers by name, not @on(...): the widget classes are imported after the first frame.
    def on_data_table_row_selected(self, event) -> None:
        what, ident = getattr(self, "_opens", {}).get(event.row_key.value, (None, None))
        if what == "paper":
            self.post_message(OpenPaper(ident))
        elif what == "run":
            self.post_message(OpenRun(ident))

    # -- empty library ---------------------------------------------------------------------
    def on_button_pressed(self, event) -> None:
        if event.button.id == "build-demo":
            self.action_demo()

    def action_demo(self) -> None:
        self._progress("Building the demo library…")
        self.build_demo()

    def action_import_plan(self) -> None:
        if self.query("#plan-path"):
            self.query_one("#plan-path").focus()

    @work(thread=True, exclusive=True, group="today-setup")
    def build_demo(self) -> None:
        try:
            from kb import demo

            with self.store() as store:
                summary = demo.build(store, self.home)
            self.post_message(Loaded("demo", f"Demo library ready: {_describe(summary)}"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Demo library", exc))

    def on_input_submitted(self, event) -> None:
        if event.input.id != "plan-path":
            return
        path = event.value.strip()
        if path:
            self._progress(plain(f"Importing {path}…"))
            self._import(Path(path).expanduser())

    @work(thread=True, exclusive=True, group="today-setup")
    def _import(self, path: Path) -> None:
        try:
            from kb.plans import importer

            with self.store() as store:
                result = importer.import_plan(store, path)
            self.post_message(Loaded("demo", f"Imported {path.name}: {_describe(result)}"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Plan import", exc))


def _describe(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, (int, str)))[:120]
    return str(result)[:120] if result is not None else "done"
