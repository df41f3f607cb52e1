"""The Search screen warms the encoder that searches then use: the ONNX one kept in the data home
(keyed by model and home). Warming the model without the home loaded sentence-transformers and
torch (about 14 s on a 2-core machine) for an encoder no search ever used."""

from __future__ import annotations

from tests.tui.conftest import SIZE, settle
from tui.app import KbApp


async def test_search_screen_warms_the_embedder_of_this_home(home, library, monkeypatch):
    import kb.index.embedder as embedder
    import kb.index.pipeline as pipeline
    import kb.index.vectors as vectors

    asked: list[tuple] = []

    class Encoder:
        def encode_query(self, text: str):
            return [0.0]

    class Vectors:
        def count(self) -> int:
            return 0

    monkeypatch.setattr(pipeline, "has_full_text", lambda store: True)
    monkeypatch.setattr(vectors, "open_vectors", lambda *a, **k: Vectors())
    monkeypatch.setattr(embedder, "get_embedder", lambda *args, **kw: asked.append(args) or Encoder())
    app = KbApp(home=home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await settle(pilot, app)
        await app.workers.wait_for_complete()
    assert asked, "the Search screen did not warm an encoder"
    assert all(len(args) == 2 and str(args[1]) == str(home) for args in asked), asked
