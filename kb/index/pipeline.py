"""`kb index`: bring the lexical and vector indexes in step with the papers' PDFs.

Incremental: an attachment whose size and mtime are unchanged is skipped without being read;
one whose bytes hash the same as last time is skipped without being extracted. New or changed
PDFs are extracted, chunked and embedded; attachments that left the library leave both indexes.

Crash safety without duplicates: vectors are keyed by chunk id, and an attachment is marked
`pending` while its chunks are being replaced. A run that finds `pending` (an interrupted one)
deletes that attachment's vectors by attachment id and starts it over.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb import paths
from kb.index.chunking import Chunk, chunk_document
from kb.index.embedder import get_embedder
from kb.index.lexical import optimize, sync_annotations, sync_papers
from kb.index.lock import index_lock
from kb.index.vectors import vectors_marker
from kb.store import Store

# What the extractor can say about a PDF (kb.pdf.errors.REASONS); the index adds its own two.
LOOK_AHEAD = 2  # documents read or encoded ahead of the one being written
# While the first run exports the model (a child process, 8-14 s on 2 cores, mostly on one),
# the other core reads and chunks this many PDFs ahead (their text only: a few MB at most).
PREPARE_AHEAD = 16

PDF_REASONS = ("encrypted", "corrupt", "empty", "no_text", "timeout", "not_pdf", "too_large")

# progress(done, total, label): called before each PDF is processed and once at the end. A
# progress object may also have phase(label): called when a step without counts starts (reading
# the library, loading the model the first time, optimising the keyword index), so that no step
# runs silently.
Progress = Callable[[int, int, str], None]


@dataclass
class Failure:
    paper_id: int
    citekey: str
    attachment_id: int
    path: str
    reason: str  # encrypted, corrupt, empty, no_text, timeout, not_pdf, too_large, missing, error
    message: str


@dataclass
class IndexReport:
    indexed: int = 0
    skipped_unchanged: int = 0
    removed: int = 0
    chunks: int = 0  # chunks written in this run
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failed_count"] = len(self.failed)
        return out


@dataclass
class _Target:
    attachment_id: int
    paper_id: int
    citekey: str
    path: str
    size: int = 0
    mtime_ns: int = 0


def run_index(
    store: Store, home: Path, config: dict, *, progress: Progress | None = None,
    papers: Sequence[int] | None = None, rebuild: bool = False,
) -> IndexReport:
    started = time.perf_counter()
    settings = config.get("index", {})
    with index_lock(home):
        run = _Run(store, home, config, settings, progress)
        report = run.execute(papers=papers, rebuild=rebuild)
    if report.indexed or report.removed or rebuild:
        from kb.search.server import stop

        stop(home)  # its Chroma client would not see the vectors just written; the next search starts a fresh one
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    def __init__(self, store: Store, home: Path, config: dict, settings: dict, progress: Progress | None):
        self.store = store
        self.home = home
        self.config = config
        self.model = settings.get("model") or "all-MiniLM-L6-v2"
        self.chunk_tokens = int(settings.get("chunk_tokens") or 200)
        self.chunk_overlap = int(settings.get("chunk_overlap") or 0)
        self.pdf_timeout_s = float(settings.get("pdf_timeout_s") or 60)
        self.progress = progress or (lambda done, total, label: None)
        self.phase = getattr(progress, "phase", None) or (lambda label: None)
        self.report = IndexReport()
        self._vectors: Any = None
        self._opening: Any = None  # a Future of the vectors, opened beside the first PDF's extraction
        self._ready: Any = None  # a Future of the encoder's preparation (the first run's model export)
        self._stopping = False  # set when the run is abandoned: queue no more encoding
        self._queued: set[Any] = set()  # encodings handed to the encoder's workers and not yet written
        self._queued_lock = threading.Lock()
        self._marked = False

    @property
    def vectors(self) -> Any:
        # Opening Chroma costs seconds of imports: only when a vector is to be read or written.
        if self._vectors is None:
            opening, self._opening = self._opening, None
            self._vectors = opening.result() if opening is not None else self._open_vectors()
        return self._vectors

    def _open_vectors(self) -> Any:
        from kb.index.vectors import open_vectors

        return open_vectors(self.home, self.config, model=self.model)

    # -- the run ---------------------------------------------------------------------------
    def execute(self, *, papers: Sequence[int] | None, rebuild: bool) -> IndexReport:
        if rebuild:
            self._forget(papers)
        elif self._vector_folder_lost():
            self._forget(None)
        self.phase("reading the library")
        sync_papers(self.store)
        sync_annotations(self.store)
        targets = self._targets(papers)
        self.phase(f"checking {len(targets)} PDFs for changes")
        self._remove_departed(targets, papers)
        states = {r["attachment_id"]: r for r in self.store.all("SELECT * FROM index_state")}
        todo = []
        for target in targets:
            state = states.get(target.attachment_id)
            if not self._stat(target):
                self._fail(target, state, "missing", f"the file {target.path} is not there")
            elif state is not None and self._unchanged_on_disk(target, state):
                self._count_unchanged(target, state)
            else:
                todo.append((target, state))
        self._process(todo)
        self.progress(len(todo), len(todo), "")
        if self.report.indexed or self.report.removed:
            self.phase("optimising the keyword index")
            optimize(self.store)
        return self.report

    def _targets(self, papers: Sequence[int] | None) -> list[_Target]:
        rows = self.store.all(
            "SELECT a.id, a.paper_id, a.path, p.citekey FROM attachments a JOIN papers p ON p.id = a.paper_id "
            "WHERE a.content_type = 'application/pdf' ORDER BY a.paper_id, a.id"
        )
        wanted = None if papers is None else {int(p) for p in papers}
        return [_Target(r["id"], r["paper_id"], r["citekey"], r["path"]) for r in rows if wanted is None or r["paper_id"] in wanted]

    def _stat(self, target: _Target) -> bool:
        try:
            st = os.stat(target.path)
        except OSError:
            return False
        target.size, target.mtime_ns = st.st_size, st.st_mtime_ns
        return True

    def _unchanged_on_disk(self, target: _Target, state: Any) -> bool:
        return (
            state["status"] in ("indexed", "failed")
            and state["path"] == target.path
            and state["size"] == target.size
            and state["mtime_ns"] == target.mtime_ns
            and (state["status"] == "failed" or state["model"] == self.model)
        )

    def _count_unchanged(self, target: _Target, state: Any) -> None:
        if state["status"] == "failed":
            # Still broken: a failure is reported on every run until the file changes.
            self.report.failed.append(Failure(target.paper_id, target.citekey, target.attachment_id, target.path, state["reason"], state["message"] or ""))
        else:
            self.report.skipped_unchanged += 1

    # -- one attachment --------------------------------------------------------------------
    def _process(self, todo: list[tuple[_Target, Any]]) -> None:
        """Index each attachment in turn, as a pipeline of three threads so the cores do not wait
        on each other: while this thread writes one PDF's chunks and vectors, the next is being
        encoded and the one after that read, extracted and chunked (LOOK_AHEAD documents at
        most, so memory stays bounded). The reader only waits on a child that kb.pdf.extract
        forks from its forkserver, so no lock of torch or SQLite is inherited; neither the
        reader nor the encoder writes.

        Before the first PDF is encoded the fast encoder must exist: the first run of a data
        home exports the model in a child process. Meanwhile the reader goes further ahead
        (PREPARE_AHEAD) and Chroma is opened, so that the export's time is not added to theirs."""
        if not todo:
            return
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-extract") as reader, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-encode") as encoder, \
                ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-prepare") as helper:
            # The PDFs' count first: the preparation's steps (a first run's export) happen beside them.
            self.progress(0, len(todo), todo[0][0].citekey)
            self._ready = helper.submit(get_embedder(self.model, self.home).prepare, self.phase)
            if self._vectors is None:
                # Chroma's imports (about 2 s) while the first PDF is read, not after its encode.
                self._opening = helper.submit(self._open_vectors)
            pending: deque = deque()
            started = 0

            def top_up(first: int) -> None:
                nonlocal started
                ahead = LOOK_AHEAD if self._ready.done() else PREPARE_AHEAD
                while started < len(todo) and started < first + ahead:
                    read = reader.submit(self._read, *todo[started])
                    pending.append(encoder.submit(self._embed, read))
                    started += 1

            try:
                top_up(0)
                for i, (target, state) in enumerate(todo):
                    self.progress(i, len(todo), target.citekey)
                    digest, doc, chunks, encoding = self._next(pending.popleft(), lambda: top_up(i + 1))
                    top_up(i + 1)
                    if doc is None:
                        self._remember_unchanged(target, state)
                    else:
                        self._index_one(target, state, digest, doc, chunks, self._vectors_of(encoding))
            except BaseException:
                self._abandon(reader, encoder)
                raise

    def _vectors_of(self, encoding: Any) -> Any:
        if encoding is None:
            return None
        vectors = encoding.result()
        with self._queued_lock:
            self._queued.discard(encoding)  # its vectors are not kept for the rest of the run
        return vectors

    def _abandon(self, reader: Any, encoder: Any) -> None:
        """Ctrl-C or a failed write: drop the work queued ahead, so that the process exits now
        instead of first reading and encoding the PDFs it had queued (the encoder's workers
        outlive this run and would run every batch left in their queue)."""
        reader.shutdown(wait=False, cancel_futures=True)
        encoder.shutdown(wait=False, cancel_futures=True)
        with self._queued_lock:
            self._stopping = True
            for encoding in self._queued:
                encoding.cancel()

    @staticmethod
    def _next(future: Any, while_waiting: Callable[[], None]) -> Any:
        """The future's result; while it is not ready, while_waiting() runs every half second."""
        from concurrent.futures import TimeoutError as NotYet

        while True:
            try:
                return future.result(timeout=0.5)
            except NotYet:
                while_waiting()

    def _read(self, target: _Target, state: Any) -> tuple[str, Any, list[Chunk]]:
        """(sha256, Document or the exception that stopped it, its chunks), or (sha256, None, [])
        when the bytes are the ones already indexed. Runs in the reader thread: it never writes."""
        digest = _sha256(target.path)
        if self._same_bytes(target, state, digest):
            return digest, None, []
        doc = self._extract(target)
        return digest, doc, [] if isinstance(doc, Exception) else self._chunk(doc)

    def _embed(self, read: Any) -> tuple[str, Any, list[Chunk], Any]:
        """The read's result with its chunks' encoding under way (its result() gives the
        vectors). Runs in the encoder thread, once the encoder is ready."""
        digest, doc, chunks = read.result()
        self._ready.result()
        if not chunks:
            return digest, doc, chunks, None
        with self._queued_lock:
            if self._stopping:
                return digest, doc, chunks, None
            encoding = get_embedder(self.model, self.home).encode_later([c.text for c in chunks])
            self._queued.add(encoding)
        return digest, doc, chunks, encoding

    def _same_bytes(self, target: _Target, state: Any, digest: str) -> bool:
        if state is None or state["content_hash"] != digest or state["path"] != target.path:
            return False
        return state["status"] == "failed" or (state["status"] == "indexed" and state["model"] == self.model)

    def _remember_unchanged(self, target: _Target, state: Any) -> None:
        """Touched but not changed: remember the new mtime so the next run needs no hash."""
        with self.store.tx():
            self.store.execute("UPDATE index_state SET size = ?, mtime_ns = ? WHERE attachment_id = ?",
                               (target.size, target.mtime_ns, target.attachment_id))
        self._count_unchanged(target, state)

    def _extract(self, target: _Target) -> Any:
        """The Document, or the exception that stopped its extraction (reported per paper)."""
        from kb.pdf.extract import extract

        try:
            return extract(target.path, timeout_s=self.pdf_timeout_s)
        except Exception as exc:  # noqa: BLE001 - an extractor bug must not stop the other papers either
            return exc

    def _index_one(self, target: _Target, state: Any, digest: str, doc: Any, chunks: list[Chunk], vectors: Any) -> None:
        from kb.pdf.errors import PdfError

        if isinstance(doc, PdfError):
            self._fail(target, state, doc.reason, doc.message, digest)
            return
        if isinstance(doc, Exception):
            self._fail(target, state, "error", f"{type(doc).__name__}: {doc}", digest)
            return
        if not chunks:
            self._fail(target, state, "no_text", "no text to index was found in the PDF", digest)
            return
        self._write(target, state, digest, chunks, vectors, doc)
        self.report.indexed += 1
        self.report.chunks += len(chunks)

    def _chunk(self, doc: Any) -> list[Chunk]:
        embedder = get_embedder(self.model, self.home)
        max_tokens = min(self.chunk_tokens, embedder.max_tokens)
        return chunk_document(doc, embedder.token_offsets, max_tokens=max_tokens, overlap=self.chunk_overlap)

    def _save_document(self, target: _Target, doc: Any) -> None:
        from kb.fulltext import save_document

        save_document(self.store, target.paper_id, target.attachment_id, doc)

    def _write(self, target: _Target, state: Any, digest: str, chunks: list[Chunk], vectors: Any, doc: Any) -> None:
        if state is not None and (state["chunk_count"] or state["status"] == "pending"):
            self.vectors.delete_attachments([target.attachment_id])
        with self.store.tx():
            self._save_document(target, doc)
            self.store.execute("DELETE FROM chunks WHERE attachment_id = ?", (target.attachment_id,))
            ids = []
            for chunk in chunks:
                cur = self.store.execute(
                    "INSERT INTO chunks (paper_id, attachment_id, seq, page, section, char_start, char_end, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (target.paper_id, target.attachment_id, chunk.seq, chunk.page, chunk.section, chunk.char_start, chunk.char_end, chunk.text),
                )
                ids.append(cur.lastrowid)
            self._set_state(target, "pending", digest, len(chunks))
        metadatas = [{"paper_id": target.paper_id, "attachment_id": target.attachment_id, "page": c.page} for c in chunks]
        self.vectors.upsert(ids, vectors, metadatas)
        self._mark_vectors_written()
        with self.store.tx():
            self.store.execute("UPDATE index_state SET status = 'indexed' WHERE attachment_id = ?", (target.attachment_id,))

    def _fail(self, target: _Target, state: Any, reason: str, message: str, digest: str | None = None) -> None:
        """Record the failure and drop whatever an earlier version of the file left indexed."""
        if state is not None and (state["chunk_count"] or state["status"] == "pending"):
            self.vectors.delete_attachments([target.attachment_id])
        with self.store.tx():
            self.store.execute("DELETE FROM chunks WHERE attachment_id = ?", (target.attachment_id,))
            self._set_state(target, "failed", digest, 0, reason, message)
        if digest is not None and reason in PDF_REASONS:
            self._mark_fulltext_failed(target, digest, reason, message)
        self.report.failed.append(Failure(target.paper_id, target.citekey, target.attachment_id, target.path, reason, message))

    def _mark_fulltext_failed(self, target: _Target, digest: str, reason: str, message: str) -> None:
        from kb.fulltext import mark_failed

        mark_failed(self.store, target.paper_id, target.attachment_id, digest, reason, message)

    def _set_state(self, target: _Target, status: str, digest: str | None, chunk_count: int,
                   reason: str | None = None, message: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO index_state (attachment_id, paper_id, path, size, mtime_ns, content_hash, model, status, reason, message, chunk_count, indexed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) "
            "ON CONFLICT (attachment_id) DO UPDATE SET paper_id = excluded.paper_id, path = excluded.path, size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash, model = excluded.model, status = excluded.status, "
            "reason = excluded.reason, message = excluded.message, chunk_count = excluded.chunk_count, indexed_at = excluded.indexed_at",
            (target.attachment_id, target.paper_id, target.path, target.size or None, target.mtime_ns or None, digest,
             self.model, status, reason, message, chunk_count),
        )

    # -- housekeeping ----------------------------------------------------------------------
    def _remove_departed(self, targets: list[_Target], papers: Sequence[int] | None) -> None:
        """Attachments (or whole papers) that left the library leave both indexes."""
        present = {t.attachment_id for t in targets}
        rows = self.store.all("SELECT attachment_id, paper_id, chunk_count, status FROM index_state")
        if papers is not None:
            wanted = {int(p) for p in papers}
            rows = [r for r in rows if r["paper_id"] in wanted]
        gone = [r for r in rows if r["attachment_id"] not in present]
        if not gone:
            return
        with_vectors = [r["attachment_id"] for r in gone if r["chunk_count"] or r["status"] == "pending"]
        if with_vectors:
            self.vectors.delete_attachments(with_vectors)
        with self.store.tx():
            for r in gone:
                self.store.execute("DELETE FROM chunks WHERE attachment_id = ?", (r["attachment_id"],))
                self.store.execute("DELETE FROM index_state WHERE attachment_id = ?", (r["attachment_id"],))
        self.report.removed += len(gone)

    def _forget(self, papers: Sequence[int] | None) -> None:
        """Start over (all, or some papers): the next steps re-extract and re-embed."""
        if papers is None:
            from kb.index.vectors import drop_collection

            drop_collection(self.home, self.config, model=self.model)
            self._vectors = None
            with self.store.tx():
                self.store.execute("DELETE FROM chunks")
                self.store.execute("DELETE FROM index_state")
            return
        ids = [r["attachment_id"] for r in self.store.all(
            "SELECT attachment_id FROM index_state WHERE paper_id IN (SELECT value FROM json_each(?))", (_json(papers),))]
        if ids:
            self.vectors.delete_attachments(ids)
        with self.store.tx():
            self.store.execute("DELETE FROM chunks WHERE paper_id IN (SELECT value FROM json_each(?))", (_json(papers),))
            self.store.execute("DELETE FROM index_state WHERE paper_id IN (SELECT value FROM json_each(?))", (_json(papers),))

    def _vector_folder_lost(self) -> bool:
        """The local Chroma folder was deleted (it is rebuildable) while SQLite says indexed.

        A marker written beside the vectors tells, without opening Chroma, that they are the
        ones this database describes (a search may have created an empty folder since).
        """
        if self.config.get("index", {}).get("chroma_url") or "":
            return False
        if vectors_marker(self.home).exists():
            return False
        return bool(self.store.scalar("SELECT 1 FROM index_state WHERE chunk_count > 0 LIMIT 1"))

    def _mark_vectors_written(self) -> None:
        if not self._marked and not (self.config.get("index", {}).get("chroma_url") or ""):
            vectors_marker(self.home).touch()
            self._marked = True


def has_full_text(store: Store) -> bool:
    """Whether any PDF text is indexed yet (searches before the first `kb index` find nothing)."""
    return bool(store.scalar("SELECT 1 FROM chunks LIMIT 1"))


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _json(values: Sequence[int]) -> str:
    import json

    return json.dumps([int(v) for v in values])
