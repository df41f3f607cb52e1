"""Search while typing (issue 13, defect 3): search workers never run the vector store at the same
time, it is warmed once from one thread before the first query, and a passing failure never
shows the advice to rebuild the index."""

from __future__ import annotations

import threading
import time

from kb.errors import KbError
from kb.index import vectors
from kb.search import hybrid
from tests.tui.conftest import SIZE, screen_text, settle
from tui.app import KbApp


class Probe:
    """Stands in for the vector store and the model: records who opened it, when, and how many
    threads were inside at once (a real Chroma client fails when two threads open it together)."""

    def __init__(self, fail_first: int = 0):
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.calls: list[tuple[str, str, int]] = []
        self.fail_first = fail_first

    def enter(self, what: str) -> None:
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.calls.append((what, threading.current_thread().name, threading.get_ident()))

    def leave(self) -> None:
        with self.lock:
            self.inside -= 1


def _patch(monkeypatch, probe: Probe, home) -> None:
    from kb.index import lexical
    from kb.store import Store

    with Store.open(home) as store:
        lexical.sync_papers(store)
    real_search = hybrid.search

    def search(store, home, config, query, *, mode="hybrid", limit=10, filters=None):
        probe.enter(f"search:{query}")
        try:
            time.sleep(0.15)  # as long as a query that loads what it needs
            if probe.fail_first:
                probe.fail_first -= 1
                raise vectors.VectorStoreError(
                    "the vector index failed: ValueError: Could not connect to tenant default_tenant",
                    "run `kb index --rebuild` if the index folder is damaged, or check the Chroma server")
            return real_search(store, home, config, query, mode="lexical", limit=limit)
        finally:
            probe.leave()

    class FakeVectors:
        def count(self):
            probe.enter("warm")
            time.sleep(0.2)
            probe.leave()
            return 1

    class FakeEmbedder:
        def encode_query(self, text):
            return [0.0]

    # Import the pipeline before patching get_embedder: it binds the name at import, and an import
    # under the patch would keep the fake for every later test in this process.
    import kb.index.pipeline  # noqa: F401

    monkeypatch.setattr(hybrid, "search", search)
    monkeypatch.setattr(vectors, "open_vectors", lambda home, config, model=None: FakeVectors())
    monkeypatch.setattr("kb.index.embedder.get_embedder", lambda *args, **kwargs: FakeEmbedder())
    monkeypatch.setattr("kb.index.pipeline.has_full_text", lambda store: True)


async def test_typing_fast_never_runs_two_searches_at_once(home, library, monkeypatch):
    probe = Probe()
    _patch(monkeypatch, probe, home)
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        # Pauses a little longer than the debounce: each one starts a search while others run.
        for word in ("lo", "ra", " ad", "ap", "ta", "tion"):
            await pilot.press(*word)
            await pilot.pause(0.32)
        await settle(pilot, app, 20)
        assert "LoRA: Low-Rank Adaptation" in screen_text(app)
    assert probe.most_inside == 1, probe.calls
    # Warmed once, first, and from one thread.
    assert probe.calls[0][0] == "warm" and [c[0] for c in probe.calls].count("warm") == 1
    assert any(c[0].startswith("search:") for c in probe.calls)


async def test_a_passing_vector_store_failure_does_not_advise_a_rebuild(home, library, monkeypatch):
    probe = Probe(fail_first=1)
    _patch(monkeypatch, probe, home)
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"lora")
        await pilot.pause(0.4)
        await settle(pilot, app, 20)
        text = screen_text(app)
        assert "LoRA: Low-Rank Adaptation" in text and "--rebuild" not in text and "tenant" not in text


async def test_slash_returns_to_the_query_box_and_the_hint_says_what_enter_does(home, library, monkeypatch):
    _patch(monkeypatch, Probe(), home)
    app = KbApp(home=home)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"lora")
        await pilot.pause(0.4)
        await settle(pilot, app, 20)
        assert "enter on a result opens the paper at that page" in screen_text(app)
        await pilot.press("down")
        assert app.focused.id == "hits"
        await pilot.press("slash")
        assert app.focused.id == "query" and app.focused.value == "lora"
        await pilot.press("end", "slash")  # in the box, / is a character
        assert app.focused.id == "query" and app.focused.value == "lora/"
