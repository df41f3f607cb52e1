"""`run_index`: incremental, resumable, removes what left, reports bad PDFs per paper."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from kb.errors import Busy
from kb.index import pipeline
from kb.index.lock import index_lock
from kb.index.pipeline import run_index
from kb.index.vectors import open_vectors
from tests.index.pdfs import (
    add_paper,
    corrupt_pdf,
    encrypted_pdf,
    image_only_pdf,
    topic_pdf,
)


def _chunk_count(store, paper_id=None) -> int:
    if paper_id is None:
        return store.scalar("SELECT count(*) FROM chunks")
    return store.scalar("SELECT count(*) FROM chunks WHERE paper_id = ?", (paper_id,))


def _fts_count(store, word: str) -> int:
    return store.scalar("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{word}"',))


@pytest.fixture
def library(store, tmp_path):
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    ids = {
        topic: add_paper(store, f"A study of {topic}", topic_pdf(pdfs / f"{topic}.pdf", topic))
        for topic in ("quantum", "glacier", "violin")
    }
    return pdfs, ids


def test_first_run_indexes_then_nothing_changes(store, home, kb_config, library, warm_embedder):
    _, ids = library
    calls = []
    report = run_index(store, home, kb_config, progress=lambda d, t, label: calls.append((d, t, label)))
    assert (report.indexed, report.skipped_unchanged, report.failed, report.removed) == (3, 0, [], 0)
    assert report.chunks == _chunk_count(store) >= 3
    assert calls[0] == (0, 3, store.scalar("SELECT citekey FROM papers WHERE id = ?", (ids["quantum"],)))
    assert calls[-1] == (3, 3, "")
    vectors = open_vectors(home, kb_config)
    assert vectors.count() == _chunk_count(store)
    assert _fts_count(store, "glacier") >= 1

    again = run_index(store, home, kb_config)
    assert (again.indexed, again.skipped_unchanged) == (0, 3)
    assert vectors.count() == _chunk_count(store)


def test_touched_file_is_hashed_not_reextracted(store, home, kb_config, library, warm_embedder, monkeypatch):
    pdfs, _ = library
    run_index(store, home, kb_config)
    stat = os.stat(pdfs / "violin.pdf")
    os.utime(pdfs / "violin.pdf", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    monkeypatch.setattr(pipeline._Run, "_extract", lambda self, t: pytest.fail("an unchanged file was extracted"))
    report = run_index(store, home, kb_config)
    assert (report.indexed, report.skipped_unchanged) == (0, 3)


def test_changed_pdf_is_reindexed_and_removed_paper_leaves_both_indexes(store, home, kb_config, library, warm_embedder):
    pdfs, ids = library
    run_index(store, home, kb_config)
    vectors = open_vectors(home, kb_config)
    topic_pdf(pdfs / "violin.pdf", "beekeeping", pages=2)  # same path, new content
    report = run_index(store, home, kb_config)
    assert (report.indexed, report.skipped_unchanged) == (1, 2)
    assert _fts_count(store, "violin varnish") == 0 and _fts_count(store, "beekeeping") >= 2
    assert {r[0] for r in store.all("SELECT DISTINCT page FROM chunks WHERE paper_id = ?", (ids["violin"],))} == {1, 2}
    assert vectors.count() == _chunk_count(store)

    glacier_chunks = _chunk_count(store, ids["glacier"])
    with store.tx():
        store.execute("DELETE FROM papers WHERE id = ?", (ids["glacier"],))
    report = run_index(store, home, kb_config)
    assert report.removed == 1
    assert _fts_count(store, "glacier") == 0
    assert vectors.count() == _chunk_count(store) > 0
    assert glacier_chunks > 0
    assert store.scalar("SELECT count(*) FROM index_state WHERE paper_id = ?", (ids["glacier"],)) == 0


def test_interrupted_run_resumes_without_duplicates(store, home, kb_config, library, warm_embedder, monkeypatch):
    from kb.index.vectors import VectorStore

    real_upsert = VectorStore.upsert
    calls = {"n": 0}

    def dying_upsert(self, ids, vectors, metadatas):
        calls["n"] += 1
        if calls["n"] == 2:
            real_upsert(self, ids[:1], vectors[:1], metadatas[:1])  # half written, then the power goes
            raise KeyboardInterrupt
        return real_upsert(self, ids, vectors, metadatas)

    monkeypatch.setattr(VectorStore, "upsert", dying_upsert)
    with pytest.raises(KeyboardInterrupt):
        run_index(store, home, kb_config)
    assert store.scalar("SELECT count(*) FROM index_state WHERE status = 'pending'") == 1
    monkeypatch.setattr(VectorStore, "upsert", real_upsert)

    report = run_index(store, home, kb_config)
    assert (report.indexed, report.skipped_unchanged) == (2, 1)
    vectors = open_vectors(home, kb_config)
    assert vectors.count() == _chunk_count(store)
    seqs = store.all("SELECT attachment_id, seq, count(*) AS n FROM chunks GROUP BY attachment_id, seq HAVING n > 1")
    assert seqs == []
    assert store.scalar("SELECT count(*) FROM index_state WHERE status = 'indexed'") == 3


def test_second_run_is_refused_while_one_holds_the_lock(store, home, kb_config, library):
    with index_lock(home), pytest.raises(Busy) as err:
        run_index(store, home, kb_config)
    assert "another `kb index` is running" in err.value.message and str(os.getpid()) in err.value.message
    assert err.value.exit_code == 6


def test_bad_pdfs_fail_one_by_one_and_leave_nothing_behind(store, home, kb_config, tmp_path, papers_dir, warm_embedder):
    bad = tmp_path / "bad"
    bad.mkdir()
    good = add_paper(store, "A study of glacier", topic_pdf(bad / "good.pdf", "glacier"))
    add_paper(store, "Locked paper", encrypted_pdf(bad / "locked.pdf"))
    add_paper(store, "Scanned paper", image_only_pdf(bad / "scanned.pdf"))
    add_paper(store, "Truncated paper", corrupt_pdf(bad / "truncated.pdf", papers_dir / "1910.01108.pdf"))
    (bad / "zero.pdf").write_bytes(b"")
    add_paper(store, "Zero bytes", bad / "zero.pdf")
    (bad / "notes.pdf").write_text("just some text, not a PDF at all " * 20)
    add_paper(store, "Not a PDF", bad / "notes.pdf")
    add_paper(store, "Gone paper", bad / "gone.pdf")

    report = run_index(store, home, kb_config)
    reasons = {f.citekey.removeprefix("anon"): f.reason for f in report.failed}
    assert report.indexed == 1
    # A cut-off file may repair to zero pages: "empty" or "corrupt" are both honest.
    assert reasons.pop("truncated") in ("corrupt", "empty")
    assert reasons == {"locked": "encrypted", "scanned": "no_text", "zero": "empty", "not": "not_pdf", "gone": "missing"}
    assert all(f.message for f in report.failed)
    assert _chunk_count(store) == _chunk_count(store, good) > 0
    assert open_vectors(home, kb_config).count() == _chunk_count(store)
    # Failures are reported on every run, without trying the same bytes again.
    again = run_index(store, home, kb_config)
    assert (again.indexed, again.skipped_unchanged, len(again.failed)) == (0, 1, 6)


def test_rebuild_and_lost_vector_folder(store, home, kb_config, library, warm_embedder, run_kb):
    run_index(store, home, kb_config)
    before = _chunk_count(store)
    report = run_index(store, home, kb_config, rebuild=True)
    assert report.indexed == 3 and _chunk_count(store) == before
    assert open_vectors(home, kb_config).count() == before
    # The folder goes away between runs (it is rebuildable): the next `kb index` notices.
    shutil.rmtree(home / "index" / "chroma")
    first = json.loads(run_kb("index", "--json", check=True).stdout)
    second = json.loads(run_kb("index", "--json", check=True).stdout)
    assert (first["indexed"], second["indexed"], second["skipped_unchanged"]) == (3, 0, 3)
    assert _chunk_count(store) == before


def test_only_the_named_papers(store, home, kb_config, library, warm_embedder):
    _, ids = library
    report = run_index(store, home, kb_config, papers=[ids["quantum"]])
    assert report.indexed == 1
    assert store.scalar("SELECT count(DISTINCT paper_id) FROM chunks") == 1


def test_every_phase_is_announced(store, home, kb_config, library, warm_embedder):
    """No step runs silently: steps without counts are announced as phases, PDFs are counted."""

    class Recorder:
        def __init__(self):
            self.events = []

        def __call__(self, done, total, label):
            self.events.append(("pdf", done, total))

        def phase(self, label):
            self.events.append(("phase", label))

    recorder = Recorder()
    run_index(store, home, kb_config, progress=recorder)
    phases = [e[1] for e in recorder.events if e[0] == "phase"]
    assert phases[:2] == ["reading the library", "checking 3 PDFs for changes"]
    assert phases[-1] == "optimising the keyword index"
    pdfs = [e for e in recorder.events if e[0] == "pdf"]
    assert pdfs[0] == ("pdf", 0, 3) and pdfs[-1] == ("pdf", 3, 3)


def test_pdfs_are_read_while_the_encoder_is_prepared(store, home, kb_config, library, warm_embedder, monkeypatch):
    """The first run's model export (a child process, ~20 s) overlaps the reading of the PDFs:
    every PDF is extracted and chunked before the preparation is allowed to finish. A pipeline
    that prepares first and reads after would wait here until the timeout and fail."""
    import threading

    from kb.index.embedder import get_embedder

    embedder = get_embedder(kb_config["index"].get("model") or "all-MiniLM-L6-v2", home)
    read = []
    all_read = threading.Event()
    original_read = pipeline._Run._read

    def counting_read(self, target, state):
        out = original_read(self, target, state)
        read.append(target.citekey)
        if len(read) == 3:
            all_read.set()
        return out

    original_prepare = type(embedder).prepare

    def slow_prepare(self, on_step=None):
        assert all_read.wait(60), f"only {len(read)} of 3 PDFs were read while the encoder was prepared"
        return original_prepare(self, on_step)

    monkeypatch.setattr(pipeline._Run, "_read", counting_read)
    monkeypatch.setattr(type(embedder), "prepare", slow_prepare)
    report = run_index(store, home, kb_config)
    assert (report.indexed, report.failed) == (3, [])
    assert open_vectors(home, kb_config).count() == _chunk_count(store)


def test_a_run_that_stops_drops_the_encoding_queued_ahead(store, home, kb_config, library, warm_embedder, monkeypatch):
    """Ctrl-C or a failed write: the batches queued on the encoder's workers (which outlive the
    run) are cancelled, so the process exits now instead of first encoding the PDFs ahead."""
    from kb.index.embedder import Embedder

    made = []

    class Queued:
        def __init__(self, vectors):
            self.vectors, self.cancelled = vectors, False

        def result(self):
            return self.vectors

        def cancel(self):
            self.cancelled = True

    real = Embedder.encode_later

    def encode_later(self, texts):
        made.append(Queued(real(self, texts).result()))
        return made[-1]

    def write(self, *args):
        import time

        deadline = time.monotonic() + 60
        while len(made) < 3 and time.monotonic() < deadline:  # the other two PDFs are queued
            time.sleep(0.05)
        raise OSError("No space left on device")

    monkeypatch.setattr(Embedder, "encode_later", encode_later)
    monkeypatch.setattr(pipeline._Run, "_index_one", write)
    with pytest.raises(OSError):
        run_index(store, home, kb_config)
    assert len(made) == 3 and all(q.cancelled for q in made[1:]), [q.cancelled for q in made]
    assert not made[0].cancelled  # the one being written was already done
