"""`kb add`: papers from PDF files the user already has. The file stays where it is (the
attachment points at it); metadata comes from the PDF itself; the extraction is stored so the
outline and the graph work at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb import catalog, fulltext, papers
from kb.errors import BadInput
from kb.pdf.errors import PdfError
from kb.pdf.extract import extract
from kb.store import Store


@dataclass
class AddResult:
    path: str
    ok: bool
    paper_id: int | None = None
    title: str | None = None
    arxiv_id: str | None = None
    created: bool = False
    reason: str | None = None
    message: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def pdf_files(targets: list[str | Path]) -> list[Path]:
    """The PDFs named, and those inside named folders (recursively), in a stable order."""
    found: list[Path] = []
    for target in targets:
        target = Path(target).expanduser()
        if target.is_dir():
            found += sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
        elif target.exists():
            found.append(target)
        else:
            raise BadInput(f"{target}: no such file or folder", "check the path")
    seen, unique = set(), []
    for path in found:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(resolved)
    return unique


def add_pdf(store: Store, path: Path, timeout_s: float = 60) -> AddResult:
    """One PDF in: extract, find-or-create the paper, attach the file, store the extraction."""
    path = Path(path).resolve()
    try:
        doc = extract(path, timeout_s=timeout_s)
    except PdfError as exc:
        return AddResult(str(path), False, reason=exc.reason, message=exc.message)
    meta = doc.metadata
    title = meta.title or path.stem.replace("_", " ")
    warnings = [] if meta.title else ["no title found in the PDF; the file name was used"]
    fields = {"title": title, "authors": meta.authors, "year": meta.year, "arxiv_id": meta.arxiv_id, "doi": meta.doi}
    # A paper the catalog knows by its identifier gets the canonical title ("QLoRA", not the
    # PDF's "QLORA"), authors and venue; the year stays the PDF's own (the arXiv version's).
    known = catalog.lookup(arxiv_id=meta.arxiv_id, doi=meta.doi) if (meta.arxiv_id or meta.doi) else None
    if known is not None:
        fields.update({k: v for k, v in known.paper_fields().items() if not (k == "year" and meta.year)})
    paper, created = papers.upsert(store, source="pdf", abstract=meta.abstract, **fields)
    attachment_id = papers.add_attachment(store, paper.id, str(path))
    fulltext.save_document(store, paper.id, attachment_id, doc)
    return AddResult(str(path), True, paper.id, paper.title, paper.arxiv_id, created, warnings=warnings)


def add_paths(store: Store, targets: list[str | Path], timeout_s: float = 60, on_result=None) -> list[AddResult]:
    results = []
    for path in pdf_files(targets):
        result = add_pdf(store, path, timeout_s)
        results.append(result)
        if on_result:
            on_result(result)
    # Papers added now may be cited by papers stored earlier (or added before them in this run).
    fulltext.link_new_papers(store, [r.paper_id for r in results if r.ok and r.created])
    return results
