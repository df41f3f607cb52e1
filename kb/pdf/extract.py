"""Turn a PDF into a Document, under a time limit.

The work runs in a child process: PyMuPDF is native code, and a pathological file (a
content stream that loops, a page with a million tiny paths) can hold a thread forever, so
the only reliable limit is a process the caller can kill.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import sys
import time
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path

from kb.pdf import captions as captions_mod
from kb.pdf import metadata as metadata_mod
from kb.pdf import quality
from kb.pdf import references as references_mod
from kb.pdf.errors import PdfError
from kb.pdf.layout import PageLayout, read_page, remove_furniture
from kb.pdf.model import Document, PageText
from kb.pdf.sections import body_font_size, detect_sections, sections_from_outline
from kb.pdf.text import join_lines, vocabulary

MAX_BYTES = 150 * 1024 * 1024  # a paper with all its figures is rarely over 50 MB
MAX_PAGES = 1500
MIN_TEXT_CHARS = 200  # below this over the whole file there is no usable text layer


def extract(path: str | Path, timeout_s: float = 60, *, max_bytes: int = MAX_BYTES, max_pages: int = MAX_PAGES) -> Document:
    """Extract a PDF in a child process that is killed after timeout_s seconds."""
    path = Path(path)
    _precheck(path, max_bytes)
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, str(path), max_pages), daemon=True)
    with _stderr_with_a_descriptor():
        child.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise PdfError("timeout", f"{path.name}: extraction took longer than {timeout_s:g} s and was stopped")
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise PdfError("corrupt", f"{path.name}: the PDF reader crashed on this file") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
    if status == "ok":
        return payload
    if isinstance(payload, PdfError):
        raise payload
    raise PdfError("corrupt", f"{path.name}: {payload}")


_CONTEXT = None


def _context():
    """A forkserver where there is one: children fork from a small single-threaded server that
    has PyMuPDF loaded, never from the caller, whose torch, Chroma or SQLite threads may hold
    locks at fork time (a child forked then can hang until its time limit)."""
    global _CONTEXT
    if _CONTEXT is None:
        if sys.platform.startswith("linux"):
            _CONTEXT = multiprocessing.get_context("forkserver")
            _CONTEXT.set_forkserver_preload(["kb.pdf.extract", "pymupdf"])
        else:
            _CONTEXT = multiprocessing.get_context("spawn")
    return _CONTEXT


@contextmanager
def _stderr_with_a_descriptor():
    """multiprocessing hands sys.stderr's descriptor to the helper processes it starts; under
    the TUI (Textual captures output) that is -1 and starting one fails, so lend it the real
    stderr for the moment it starts."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        yield
        return
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = captured


def _child(sender, path: str, max_pages: int) -> None:
    try:
        sender.send(("ok", extract_here(path, max_pages=max_pages)))
    except PdfError as exc:
        sender.send(("error", exc))
    except BaseException as exc:  # noqa: BLE001 - anything else still becomes a per-file status
        sender.send(("error", f"unreadable PDF ({type(exc).__name__}: {exc})"))
    finally:
        sender.close()


def _precheck(path: Path, max_bytes: int) -> None:
    if not path.is_file():
        raise PdfError("not_pdf", f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise PdfError("empty", f"{path.name}: the file is empty (0 bytes)")
    if size > max_bytes:
        raise PdfError("too_large", f"{path.name}: {size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise PdfError("not_pdf", f"{path.name}: not a PDF file (no %PDF header)")


def extract_here(path: str | Path, *, max_pages: int = MAX_PAGES, deadline: float | None = None) -> Document:
    """Extract in this process (no time limit beyond the page-loop deadline). `extract` wraps it."""
    import pymupdf

    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises FileDataError, RuntimeError, ValueError…
        raise PdfError("corrupt", f"{path.name}: the PDF structure is damaged ({exc})") from None
    with pdf:
        if pdf.needs_pass or pdf.is_encrypted:
            raise PdfError("encrypted", f"{path.name}: the PDF is password-protected")
        if pdf.page_count == 0:
            raise PdfError("empty", f"{path.name}: the PDF has no pages")
        if pdf.page_count > max_pages:
            raise PdfError("too_large", f"{path.name}: {pdf.page_count} pages is over the {max_pages}-page limit")
        pages: list[PageLayout] = []
        warnings: list[str] = []
        for index in range(pdf.page_count):
            if deadline is not None and time.monotonic() > deadline:
                raise PdfError("timeout", f"{path.name}: extraction ran out of time at page {index + 1}")
            try:
                pages.append(read_page(pdf[index], index + 1))
            except Exception as exc:  # one broken page should not lose the paper
                pages.append(PageLayout(index + 1, 612, 792, [], ""))
                warnings.append(f"page {index + 1} unreadable: {exc}")
        info = dict(pdf.metadata or {})
        toc = pdf.get_toc(simple=True)
        if sum(len(line.text) for page in pages for line in page.lines) < MIN_TEXT_CHARS:
            raise PdfError("no_text", f"{path.name}: the PDF has no text layer (scanned images?)")
        unreadable = quality.unreadable_share(pdf, ["".join(line.text for line in page.lines) for page in pages])
        if unreadable > quality.MAX_UNREADABLE:
            raise PdfError("no_text", f"{path.name}: {quality.describe(unreadable)}", "run OCR on it (e.g. ocrmypdf --force-ocr) and add it again")
    doc = assemble(path, digest, pages, info, toc)
    doc.warnings += warnings
    return doc


def assemble(path: Path, digest: str, pages: list[PageLayout], info: dict, toc: list) -> Document:
    remove_furniture(pages)
    body_size = body_font_size(pages)
    vocab = vocabulary([line.text for page in pages for line in page.lines])
    sections = detect_sections(pages, body_size)
    if len([s for s in sections if s.kind == "body"]) < 2 and toc:
        sections = sections_from_outline(toc, len(pages))
    ref_lines = references_mod.reference_lines(pages, sections)
    width = pages[0].width
    references = [references_mod.parse([l.text for l in entry], vocab) for entry in references_mod.split_entries(ref_lines, width)]
    captions = []
    for page in pages:
        captions += captions_mod.find_captions(page.lines, vocab)
    meta = metadata_mod.detect(pages[0], info, path, body_size, metadata_mod.spellings(pages))
    return Document(
        path=str(path), content_hash=digest, page_count=len(pages), pages=[_page_text(p, vocab) for p in pages],
        metadata=meta, sections=sections, references=[r for r in references if len(r.raw) > 15],
        captions=captions_mod.first_of_each(captions),
    )


def _page_text(page: PageLayout, vocab: set[str]) -> PageText:
    paragraphs = [join_lines([l.text for l in block], vocab) for _, block in groupby(page.lines, key=lambda l: l.block)]
    return PageText(page.number, "\n\n".join(p for p in paragraphs if p))
