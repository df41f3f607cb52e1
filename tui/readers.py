"""The Paper screen's view: the domain's own read functions for one paper, gathered in one worker.

No domain logic lives here, only which reads the screen shows together; each has a CLI
equivalent (`kb show`, `kb cards`, `kb graph`, `kb repro runs`, `kb note --path`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


def paper_view(store, home: Path, config: dict, paper_id: int) -> dict[str, Any]:
    """Everything the Paper screen shows, as plain dicts."""
    from kb import fulltext, graph, library, papers
    from kb.today import run_summary
    from notes import highlights, review
    from reproductions import records, registry

    return {
        "detail": library.paper_detail(store, paper_id),
        "pdf": papers.pdf_path(store, paper_id),
        "outline": [dict(s, page=s["start_page"]) for s in fulltext.sections(store, paper_id)],
        "document": fulltext.document_status(store, paper_id),  # None until `kb index` has read the PDF
        "note": _note(store, home, config, paper_id),
        "cards": review.cards_for_paper(store, paper_id),
        "highlights": [dataclasses.asdict(h) for h in highlights.zotero_highlights(store, paper_id)],
        "neighbours": graph.neighbours(store, paper_id),
        "reproductions": [s.to_dict() for s in registry.for_paper(store, paper_id)],
        "runs": [run_summary(r) for r in records.list_runs(store, paper_id=paper_id)],
    }


def _note(store, home: Path, config: dict, paper_id: int) -> dict[str, Any]:
    from kb import papers
    from notes import files

    path = files.note_path(home, config, papers.get(store, paper_id))
    text = files.read_text(path) if path.exists() else ""
    # The YAML front matter is for tools; the reader sees the body.
    return {"path": path, "text": text[files.parse_front_matter(text).body_start:]}
