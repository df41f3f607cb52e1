"""Library: every paper in a sortable, filterable table."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input

from tui.messages import Failed, Loaded, OpenPaper
from tui.plain import plain
from tui.screens.base import KbScreen
from tui.widgets.status import ORDER, status_text
from tui.widgets.table import Table

TITLE_WIDTH = 36

# (column key, header, sort key of a paper row)
COLUMNS = (
    ("title", "Title", lambda p: p["title"].lower()),
    ("year", "Year", lambda p: p["year"] or 0),
    ("status", "Status", lambda p: ORDER.index(p["status"]) if p["status"] in ORDER else -1),
    ("week", "Plan week", lambda p: p["week"]),
    ("due", "Due", lambda p: p["due"] or 0),
    ("runs", "Runs", lambda p: p["runs"] or 0),
)


def matches(paper: dict, needle: str) -> bool:
    """Every word of the filter appears in the title, citekey, authors, year or status."""
    hay = " ".join([paper["title"], paper["citekey"], " ".join(paper["authors"]), str(paper["year"] or ""),
                    paper["status"], paper.get("week") or ""]).lower()
    return all(word in hay for word in needle.lower().split())


class LibraryScreen(KbScreen):
    AUTO_FOCUS = "#papers"
    BINDINGS = [
        Binding("f", "filter", "Filter", id="library.filter"),
        Binding("o", "sort", "Sort", id="library.sort"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="library.clear"),
        Binding("x", "remove_paper", "Remove paper", show=False, id="library.remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.papers: list[dict] = []
        self.sort_index = 0
        self.reverse = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: words of the title, author, year, status… (f)", id="library-filter")
        yield Table(id="papers", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, header, _ in COLUMNS:
            # A fixed title width keeps status, week and counts on screen at 80 columns.
            table.add_column(header, key=key, width=TITLE_WIDTH if key == "title" else None)

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="library")
    def load(self) -> None:
        try:
            from kb import library

            with self.store() as store:
                # The same rows as `kb papers --activity`.
                self.post_message(Loaded("papers", library.overview(store, self.home, self.config())))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Library", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        self.papers = message.data
        self.render_rows()

    def render_rows(self) -> None:
        table = self.query_one(Table)
        keep = table.cursor_row
        table.clear()
        needle = self.query_one(Input).value.strip()
        _, _, sort_key = COLUMNS[self.sort_index]
        shown = sorted((p for p in self.papers if matches(p, needle)), key=sort_key, reverse=self.reverse)
        for p in shown:
            title = plain(p["title"])
            title.truncate(TITLE_WIDTH, overflow="ellipsis")
            table.add_row(title, p["year"] or "", status_text(p["status"]), plain(p["week"]),
                          "—" if p["due"] is None else p["due"], "—" if p["runs"] is None else p["runs"], key=str(p["id"]))
        table.fit()
        arrow = "↓" if self.reverse else "↑"
        self.sub_title = f"{len(shown)} of {len(self.papers)} papers · sorted by {COLUMNS[self.sort_index][1]} {arrow}"
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1))

    @on(Input.Changed, "#library-filter")
    def filter_changed(self) -> None:
        self.render_rows()

    @on(Input.Submitted, "#library-filter")
    def filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one(Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one(Input).value = ""
        self.query_one(DataTable).focus()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(COLUMNS)
        self.reverse = False
        self.render_rows()

    @on(DataTable.HeaderSelected)
    def header_sort(self, event: DataTable.HeaderSelected) -> None:
        index = [key for key, _, _ in COLUMNS].index(event.column_key.value)
        self.reverse = not self.reverse if index == self.sort_index else False
        self.sort_index = index
        self.render_rows()

    @on(DataTable.RowSelected)
    def open(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenPaper(int(event.row_key.value)))

    def action_remove_paper(self) -> None:
        """As `kb paper remove PAPER`: asks first; the paper's note stays where it is."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        paper_id = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        title = next((p["title"] for p in self.papers if p["id"] == paper_id), str(paper_id))
        from tui.widgets.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.remove_paper(paper_id)

        self.app.push_screen(Confirm(f"Remove {title!r} from the library? Your note on it stays where it is."), answered)

    @work(thread=True, group="library-remove")
    def remove_paper(self, paper_id: int) -> None:
        try:
            from kb.removal import remove_paper

            with self.store() as store:
                removed = remove_paper(store, self.home, self.config(), str(paper_id))
            kept = f"; your note stays at {removed['notes_kept'][0]}" if removed["notes_kept"] else ""
            self.app.call_from_thread(self.notify, f"removed {removed['title']}{kept}", markup=False)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Library", exc))
        self.app.call_from_thread(self.load)
