"""Paper: metadata, abstract, outline with pages, the note, its cards and highlights, graph
neighbours, reproductions and past runs; keys to edit the note (`kb note`), open the PDF
(`kb open --page`), set status (`kb status`), run (`kb repro run`) and show the graph (`kb graph`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Markdown, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui import readers
from tui.messages import Failed, Loaded, OpenGraph, OpenPaper, StartRun
from tui.plain import join, plain
from tui.screens.base import KbScreen
from tui.widgets.status import next_status, status_text, verdict_text

class PaperScreen(KbScreen):
    BINDINGS = [
        Binding("e", "edit_note", "Edit note", id="paper.edit"),
        Binding("o", "open_pdf", "Open PDF", id="paper.open"),
        Binding("s", "cycle_status", "Status", id="paper.status"),
        Binding("r", "run", "Run", id="paper.run"),
        Binding("g", "graph", "Graph", id="paper.graph"),
        Binding("escape", "app.pop_screen", "Back", id="paper.back"),
    ]

    def __init__(self, paper_id: int, page: int | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.page = page
        self.view: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="paper-body"):
            yield Static("Loading…", id="meta")
            yield Static("", id="abstract", classes="section")
            yield OptionList(id="outline", classes="section")
            yield Markdown("", id="note", classes="section")
            yield Static("", id="cards", classes="section")
            yield Static("", id="highlights", classes="section")
            yield OptionList(id="neighbours", classes="section")
            yield Static("", id="repro", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        for wid, title in (("abstract", "Abstract"), ("outline", "Outline (o opens the PDF at the highlighted page)"),
                           ("note", "Note (e to edit)"), ("cards", "Cards"), ("highlights", "Highlights"),
                           ("neighbours", "Graph neighbours (enter opens)"), ("repro", "Reproductions (r to run)")):
            self.query_one(f"#{wid}").border_title = title
        self.load()

    @work(thread=True, exclusive=True, group="paper")
    def load(self) -> None:
        try:
            with self.store() as store:
                self.post_message(Loaded("paper", readers.paper_view(store, self.home, self.config(), self.paper_id)))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Paper", exc))

    def on_failed(self, message: Failed) -> None:
        super().on_failed(message)
        if self.view is None:
            from tui.screens.base import describe

            self.query_one("#meta", Static).update(plain(f"Could not load this paper: {describe(message.error)}"))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        if message.what != "paper":
            return
        self.view = view = message.data
        d = view["detail"]
        self.sub_title = plain(d["citekey"]).plain
        # Every piece of data is appended as plain text: titles and names are never markup.
        meta = join((d["title"] + "\n", "bold"), ", ".join(d["authors"]) or "unknown authors",
                    f" ({d['year'] or 'n.d.'})" + (f" · {d['venue']}" if d.get("venue") else "") + "\n")
        meta.append("status ")
        meta.append_text(status_text(d["status"]))
        ids = [f"id {d['id']}", d["citekey"]] + ([f"arXiv {d['arxiv_id']}"] if d.get("arxiv_id") else []) + (
            [f"DOI {d['doi']}"] if d.get("doi") else [])
        meta.append_text(plain(" · " + " · ".join(ids) + "\n"))
        for item in d["plan_items"]:
            meta.append_text(plain(f"plan {item['plan']}: {item['week_label'] or item['phase'] or ''} {item['section'] or ''}\n",
                                   style="italic"))
        meta.append_text(plain(f"PDF: {view['pdf']}" if view["pdf"] else "PDF: none attached", style="dim"))
        self.query_one("#meta", Static).update(meta)
        self.query_one("#abstract", Static).update(plain(d["abstract"]) if d.get("abstract") else Text("no abstract", style="dim"))
        self._show_outline(view["outline"], self._no_outline(view))
        self.query_one("#note", Markdown).update(view["note"]["text"] or "*No note yet: press e to write one.*")
        self._show_list("#cards", view["cards"], lambda c: f"• {c.get('front', '')}  →  {c.get('back', '')}", "no cards")
        self._show_list("#highlights", view["highlights"],
                        lambda h: f"p.{h.get('page_label') or '?'}  “{h.get('text') or ''}” {h.get('comment') or ''}", "no highlights")
        self._show_neighbours(view["neighbours"])
        self._show_repro(view["reproductions"], view["runs"])

    @staticmethod
    def _no_outline(view: dict) -> str:
        """Why there is no outline: "not indexed" was said of papers with no PDF at all, and of
        PDFs read whose headings were not found."""
        document = view.get("document")
        if not view["pdf"]:
            return "No outline: no PDF is attached"
        if document is None:
            return "No outline: the PDF has not been indexed (`kb index`)"
        if document.get("status") != "ok":
            return "No outline: the PDF could not be read (`kb index` says why)"
        return "No outline: no section headings were found in the PDF"

    def _show_outline(self, outline: list[dict], empty: str) -> None:
        widget = self.query_one("#outline", OptionList)
        widget.clear_options()
        if not outline:
            widget.add_option(Option(Text(empty, style="dim"), disabled=True))
        for i, section in enumerate(outline):
            page = section.get("page")
            indent = "  " * max(0, (section.get("level") or 1) - 1)
            widget.add_option(Option(plain(f"{indent}{section.get('title', '')}  p.{page or '?'}"), id=f"s{i}"))
        if self.page:
            for i, section in enumerate(outline):
                if (section.get("page") or 0) <= self.page:
                    widget.highlighted = i

    def _show_list(self, selector: str, items: list[dict], fmt, empty: str) -> None:
        self.query_one(selector, Static).update(
            Text("\n").join(plain(fmt(i)) for i in items) if items else Text(empty, style="dim"))

    def _show_neighbours(self, neighbours: dict) -> None:
        widget = self.query_one("#neighbours", OptionList)
        widget.clear_options()
        # Prerequisites are also in builds_on: list each paper once, under its strongest link.
        groups = (("prerequisites", "prerequisite"), ("links_to", "your link to"), ("builds_on", "builds on"),
                  ("linked_from", "linked from"), ("built_upon_by", "built upon by"))  # linked_from: the backlinks
        for key, label in groups:
            for n in neighbours.get(key) or []:
                option_id = f"p{n['id']}" if key not in ("built_upon_by", "linked_from") else f"d{n['id']}"
                if not _has(widget, option_id):
                    widget.add_option(Option(plain(f"{label:<14} {n.get('title', '')}"), id=option_id))
        if not widget.option_count:
            widget.add_option(Option(Text("No known neighbours", style="dim"), disabled=True))

    def _show_repro(self, reproductions: list[dict], runs: list[dict]) -> None:
        widget = self.query_one("#repro", Static)
        lines = [plain(f"• {r.get('name')}: {r.get('claim') or r.get('title') or ''}") for r in reproductions] or [
            Text("none for this paper", style="dim")]
        for run in runs:
            lines.append(join(f"  {run['name']}  ", verdict_text(run.get("verdict")), f"  {run['when']}"))
        widget.update(Text("\n").join(lines))

    @on(OptionList.OptionSelected, "#neighbours")
    def open_neighbour(self, event: OptionList.OptionSelected) -> None:
        # ids: p<paper id> upstream, d<paper id> downstream
        if event.option.id and event.option.id[1:].isdigit():
            self.post_message(OpenPaper(int(event.option.id[1:])))

    @on(OptionList.OptionSelected, "#outline")
    def open_section(self, event: OptionList.OptionSelected) -> None:
        self.action_open_pdf()

    # -- actions ---------------------------------------------------------------------------
    def _selected_page(self) -> int | None:
        outline = (self.view or {}).get("outline") or []
        widget = self.query_one("#outline", OptionList)
        if widget.has_focus and widget.highlighted is not None and widget.highlighted < len(outline):
            section = outline[widget.highlighted]
            return section.get("page")
        return self.page

    def action_open_pdf(self) -> None:
        if self.view:
            self.open_pdf(self._selected_page())

    @work(thread=True, group="paper-open")
    def open_pdf(self, page: int | None) -> None:
        """As `kb open PAPER --page N`: the viewer starts, an unread paper becomes `reading`."""
        from kb import viewer

        try:
            with self.store() as store:
                viewer.open_pdf(store, self.config(), self.paper_id, page, spawn=self.app.opener)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Open PDF", exc))
            return
        self.app.call_from_thread(self.notify, f"Opening the PDF{f' at page {page}' if page else ''}")
        self.app.call_from_thread(self.load)

    def action_cycle_status(self) -> None:
        if self.view:
            self.set_status(next_status(self.view["detail"]["status"]))

    @work(thread=True, group="paper-status")
    def set_status(self, status: str) -> None:
        from kb import papers

        try:
            with self.store() as store:
                papers.set_status(store, self.paper_id, status)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Status", exc))
            return
        self.app.call_from_thread(self.load)

    def action_edit_note(self) -> None:
        self._note_path()

    @work(thread=True, group="paper-note")
    def _note_path(self) -> None:
        try:
            from kb import papers
            from notes import files, highlights

            with self.store() as store:
                # As `kb note PAPER`: created from the template, new Zotero highlights appended.
                paper = papers.get(store, self.paper_id)
                path = files.ensure_note(store, self.home, self.config(), paper)
                highlights.import_highlights(store, path, paper)
            self.app.call_from_thread(self._edit, Path(path))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Note", exc))

    def _edit(self, path: Path) -> None:
        self.app.edit_file(path)  # type: ignore[attr-defined]
        self._after_edit()

    @work(thread=True, group="paper-note")
    def _after_edit(self) -> None:
        # The note may hold new or changed cards: let the notes area re-read it before we show it.
        try:
            from notes.sync import sync_notes

            with self.store() as store:
                report = sync_notes(store, self.home, self.config())
            # As `kb note` says after the editor closes: what the edit did to the cards.
            self.app.call_from_thread(self.notify, f"Note saved: {report.cards_new} new, {report.cards_edited} edited card(s)",
                                      title="Cards", markup=False)
        except Exception as exc:  # noqa: BLE001
            self.post_message(Failed("Cards", exc))
        self.app.call_from_thread(self.load)

    def action_run(self) -> None:
        self.post_message(StartRun(paper_id=self.paper_id))

    def action_graph(self) -> None:
        self.post_message(OpenGraph(self.paper_id))


def _has(options: OptionList, option_id: str) -> bool:
    try:
        options.get_option(option_id)
    except OptionDoesNotExist:
        return False
    return True
