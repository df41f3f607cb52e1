"""Search: as-you-type hybrid search; Enter opens the paper at the hit's page.

Typing starts a search on each pause, and thread workers cannot be stopped, so several may be
alive at once. Chroma's client and the embedding model must not be opened by two threads at
the same time (`Could not connect to tenant default_tenant`, `'RustBindingsAPI' object has no
attribute 'bindings'`): every search that touches them holds one lock, the screen warms them
once from one worker before the first query, and a search superseded while it waited is skipped.
"""

from __future__ import annotations

import re
import threading

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
HINT = "↓ or esc: results · enter on a result opens the paper at that page · / back to the query"

# One per process: the vector store client and the model are process-wide.
VECTOR_LOCK = threading.Lock()


def hit_label(hit: dict, query: str) -> Text:
    """Paper title, page and section on one line; the snippet below with the query words marked.
    A hit found by its title marks the words in the title line: its snippet is the title again,
    and the results listed every such paper's title twice."""
    where = " · ".join(x for x in (f"p.{hit['page']}" if hit.get("page") else "", hit.get("section") or "") if x)
    snippet = " ".join((hit.get("snippet") or "").split())
    if hit.get("source") == "title" and snippet:
        title = marked(snippet)
        title.stylize("bold")
        return Text.assemble(title, "\n", ("found in the title", "dim italic"))
    label = Text.assemble((hit.get("title") or "", "bold"), ("  " + where if where else "", "italic"), "\n")
    label.append_text(marked(snippet))
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
        # From the results, / goes back to the query box (the app's / would only reset the mode).
        Binding("slash", "focus_query", "Query", key_display="/", id="search.query"),
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
        self._status("type to search; enter in the box jumps to the results")
        self.warm()

    @work(thread=True, exclusive=True, group="search-warm")
    def warm(self) -> None:
        """Open the vector store and load the model once, from this one thread, while the user
        types: the first query then neither races nor waits for it."""
        try:
            from kb.index.pipeline import has_full_text

            with self.store() as store:
                if not has_full_text(store):
                    return  # nothing indexed: searches are lexical, no vector store to open
            from kb.index.embedder import get_embedder
            from kb.index.vectors import open_vectors

            model = (self.config().get("index") or {}).get("model") or "all-MiniLM-L6-v2"
            with VECTOR_LOCK:
                open_vectors(self.home, self.config(), model=model).count()
                get_embedder(model, self.home).encode_query("warm up")  # the ONNX encoder searches use
        except Exception:  # noqa: BLE001 - the first real search reports what is wrong, once
            return

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

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # In the query box, / is a character to type; from the results it goes back to the box.
        if action == "focus_query":
            return not self.query_one("#query", Input).has_focus
        return True

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

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
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            if mode == "lexical":
                hits = self._search(query, mode)
            else:
                with VECTOR_LOCK:
                    if worker.is_cancelled:
                        return  # a later keystroke started another search: this answer is stale
                    hits = self._search_retrying(query, mode)
            self.post_message(Loaded("hits", (query, [h.to_dict() for h in hits])))
        except Exception as exc:  # noqa: BLE001
            self.post_message(Loaded("hits-error", (query, exc)))

    def _search(self, query: str, mode: str) -> list:
        # Imported here, never at start-up: dense search pulls in the embedding stack.
        from kb.index.pipeline import has_full_text
        from kb.search import hybrid

        with self.store() as store:
            hits = hybrid.search(store, self.home, self.config(), query, mode=mode, limit=30)
            self.indexed = has_full_text(store)
        return hits

    def _search_retrying(self, query: str, mode: str) -> list:
        """A vector store that fails once may have been caught half-open (by another process,
        or a client created elsewhere): one retry tells a passing failure from a damaged index,
        so the advice to rebuild (minutes) is only ever shown for a failure that repeats."""
        from kb.index.vectors import VectorStoreError

        try:
            return self._search(query, mode)
        except VectorStoreError:
            return self._search(query, mode)

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
        self._status(f"{len(self.hits)} results for “{query}” · {HINT}")

    @on(OptionList.OptionSelected, "#hits")
    def open(self, event: OptionList.OptionSelected) -> None:
        hit = self.hits[int(event.option.id)]
        if hit.get("paper_id"):
            self.post_message(OpenPaper(hit["paper_id"], page=hit.get("page")))
