"""Search: as-you-type hybrid search; Enter opens the paper at the hit's page."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.messages import Loaded, OpenPaper
from tui.screens.base import KbScreen, describe

MODES = ("hybrid", "lexical", "dense")  # kb.search.hybrid.MODES, in the order ctrl+o cycles them
DEBOUNCE_S = 0.3


def hit_label(hit: dict, query: str) -> Text:
    """Paper title, page and section on one line; the snippet below with the query words marked."""
    where = " · ".join(x for x in (f"p.{hit['page']}" if hit.get("page") else "", hit.get("section") or "") if x)
    label = Text.assemble((hit.get("title") or "", "bold"), ("  " + where if where else "", "italic"), "\n")
    label.append_text(marked(" ".join((hit.get("snippet") or "").split())))
    return label


def marked(snippet: str) -> Text:
    """The search marks matched terms «like this»: show them reversed, without the guillemets."""
    text = Text()
    for i, part in enumerate(re.split(r"[«»]", snippet)):
        text.append(part, style="bold reverse" if i % 2 else "")
    return text


class SearchScreen(KbScreen):
    AUTO_FOCUS = "#query"
    BINDINGS = [
        Binding("ctrl+o", "cycle_mode", "Mode", id="search.mode"),
        Binding("down", "focus_results", "Results", show=False, id="search.results"),
        Binding("escape", "focus_results", "Results", show=False, id="search.leave"),
    ]

    indexed = True  # set by each search: whether any full text is indexed

    def __init__(self) -> None:
        super().__init__()
        self.mode = 0
        self.hits: list[dict] = []
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search titles, full text and notes (English or 中文)…", id="query")
        yield Static("", id="search-status")
        yield OptionList(id="hits")
        yield Footer()

    def on_mount(self) -> None:
        self._status("type to search")

    def _status(self, text: str) -> None:
        self.query_one("#search-status", Static).update(Text(f"[{MODES[self.mode]}] {text}"))

    @on(Input.Changed, "#query")
    def changed(self, event: Input.Changed) -> None:
        # Debounce: only the pause after the last keystroke starts a search.
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self.start_search)

    @on(Input.Submitted, "#query")
    def submitted(self) -> None:
        if self.hits:
            self.query_one("#hits", OptionList).focus()

    def action_cycle_mode(self) -> None:
        self.mode = (self.mode + 1) % len(MODES)
        self.start_search()

    def action_focus_results(self) -> None:
        self.query_one("#hits", OptionList).focus()

    def start_search(self) -> None:
        query = self.query_one("#query", Input).value.strip()
        if not query:
            self.query_one("#hits", OptionList).clear_options()
            self._status("type to search")
            return
        self._status(f"searching for “{query}”…" + (" (the first semantic search loads the model)" if self.mode != 1 else ""))
        self.search(query, MODES[self.mode])

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str, mode: str) -> None:
        try:
            # Imported here, never at start-up: dense search pulls in the embedding stack.
            from kb.search import hybrid

            from kb.index.pipeline import has_full_text

            with self.store() as store:
                hits = hybrid.search(store, self.home, self.config(), query, mode=mode, limit=30)
                self.indexed = has_full_text(store)
            self.post_message(Loaded("hits", (query, [h.to_dict() for h in hits])))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("hits-error", (query, exc)))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        query, payload = message.data
        if query != self.query_one("#query", Input).value.strip():
            return  # a stale answer to an earlier query
        hits = self.query_one("#hits", OptionList)
        hits.clear_options()
        if message.what == "hits-error":
            self.hits = []
            self._status(describe(payload))
            return
        self.hits = payload
        for i, hit in enumerate(self.hits):
            hits.add_option(Option(hit_label(hit, query), id=str(i)))
        if self.hits:
            hits.highlighted = 0
        if not self.hits and not self.indexed:
            self._status(f"0 results for “{query}”: the PDFs are not indexed yet (run `kb index` in a shell)")
            return
        self._status(f"{len(self.hits)} results for “{query}” · ↓ then enter opens at the page")

    @on(OptionList.OptionSelected, "#hits")
    def open(self, event: OptionList.OptionSelected) -> None:
        hit = self.hits[int(event.option.id)]
        if hit.get("paper_id"):
            self.post_message(OpenPaper(hit["paper_id"], page=hit.get("page")))
