"""The Paper screen says why a paper has no outline: "the PDF has not been indexed" was shown
for every paper of a real BibTeX library, none of which had a PDF attached."""

from __future__ import annotations

from tui.screens.paper import PaperScreen


def test_no_outline_says_why():
    why = PaperScreen._no_outline
    assert why({"pdf": None, "document": None}) == "No outline: no PDF is attached"
    assert "not been indexed" in why({"pdf": "/p/a.pdf", "document": None})
    assert "could not be read" in why({"pdf": "/p/a.pdf", "document": {"status": "failed"}})
    assert "no section headings" in why({"pdf": "/p/a.pdf", "document": {"status": "ok"}})
