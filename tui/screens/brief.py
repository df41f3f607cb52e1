"""Brief: preview the group-meeting brief for a chosen period and export it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Markdown, Select, Static

from tui.messages import Failed, Loaded
from tui.plain import plain
from tui.screens.base import KbScreen, describe

PERIODS = (("this week", 7), ("last two weeks", 14), ("last month", 30))
FORMATS = ("html", "pptx", "pdf", "slides", "md")  # kb.brief.writer.FORMATS


class BriefScreen(KbScreen):
    BINDINGS = [
        Binding("r", "refresh", "Rebuild", id="brief.rebuild"),
        Binding("x", "export", "Export", id="brief.export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.markdown = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="brief-controls"):
            yield Select([(label, days) for label, days in PERIODS], value=7, allow_blank=False, id="period")
            yield Select([(f, f) for f in FORMATS], value="html", allow_blank=False, id="format")
        yield Static("", id="brief-status")
        with VerticalScroll(id="brief-body"):
            yield Markdown("", id="brief")
        yield Footer()

    def on_screen_resume(self) -> None:
        if not self.markdown:
            self.action_refresh()

    @on(Select.Changed, "#period")
    def period_changed(self) -> None:
        self.action_refresh()

    def _period(self) -> tuple[date, date]:
        days = self.query_one("#period", Select).value
        today = date.today()
        return today - timedelta(days=int(days) - 1), today

    def action_refresh(self) -> None:
        start, end = self._period()
        self.query_one("#brief-status", Static).update(f"Building the brief for {start} – {end}…")
        self.build(start, end)

    @work(thread=True, exclusive=True, group="brief")
    def build(self, start: date, end: date) -> None:
        try:
            from kb.brief import writer

            since = datetime.combine(start, time.min).astimezone(timezone.utc)
            out = self.home / "briefs" / f"brief-{start}-{end}.md"
            with self.store() as store:
                written = writer.write_brief(store, self.home, self.config(), since=since, fmt="md", out=out)
            self.post_message(Loaded("brief", (start, end, written.path, written.path.read_text(encoding="utf-8"))))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("brief-error", exc))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        status = self.query_one("#brief-status", Static)
        if message.what == "brief-error":
            status.update(plain(describe(message.data)))
            return
        if message.what == "exported":
            status.update(plain(f"Exported to {message.data}"))
            self.notify(f"Brief written to {message.data}", markup=False)
            return
        start, end, path, self.markdown = message.data
        status.update(plain(f"{start} – {end} · saved as {path} · x exports as {self.query_one('#format', Select).value}"))
        # Relative image links point next to the file; the preview shows the text.
        self.query_one("#brief", Markdown).update(self.markdown)

    def action_export(self) -> None:
        start, end = self._period()
        fmt = self.query_one("#format", Select).value
        self.query_one("#brief-status", Static).update(f"Exporting {fmt}…")
        self.export(start, end, fmt)

    @work(thread=True, group="brief-export")
    def export(self, start: date, end: date, fmt: str) -> None:
        try:
            from kb.brief import writer

            since = datetime.combine(start, time.min).astimezone(timezone.utc)
            out = self.home / "briefs" / f"brief-{start}-{end}{writer.FORMATS[fmt]}"
            with self.store() as store:
                written = writer.write_brief(store, self.home, self.config(), since=since, fmt=fmt, out=out)
            self.post_message(Loaded("exported", written.path))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Export", exc))
