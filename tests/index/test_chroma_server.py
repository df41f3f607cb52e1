"""A Chroma server named in the config holds the vectors (a lab can share one index)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.index import vectors as vectors_mod
from kb.index.pipeline import run_index
from kb.index.vectors import VectorStoreError, open_vectors
from kb.search.hybrid import search
from tests.index.pdfs import add_paper, topic_pdf

CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("chroma run exited at start")
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def test_index_and_search_through_a_server(store, home, kb_config, tmp_path, chroma_server, warm_embedder, monkeypatch):
    monkeypatch.setenv(vectors_mod.TOKEN_ENV, "s3cret-token-value")  # sent along; this server does not check it
    kb_config["index"]["chroma_url"] = chroma_server
    glacier = add_paper(store, "A study of glacier", topic_pdf(tmp_path / "g.pdf", "glacier"))
    add_paper(store, "A study of violin", topic_pdf(tmp_path / "v.pdf", "violin"))
    report = run_index(store, home, kb_config)
    assert report.indexed == 2
    assert not (home / "index" / "chroma").exists(), "nothing was written to the local vector folder"
    remote = open_vectors(home, kb_config)
    assert remote.where == chroma_server
    assert remote.count() == store.scalar("SELECT count(*) FROM chunks")
    hits = search(store, home, kb_config, "radar measurements of melting ice", mode="dense")
    assert hits[0].paper_id == glacier


def test_unreachable_server_is_a_clear_error_without_the_token(home, kb_config, monkeypatch):
    monkeypatch.setenv(vectors_mod.TOKEN_ENV, "s3cret-token-value")
    kb_config["index"]["chroma_url"] = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(VectorStoreError) as err:
        open_vectors(home, kb_config)
    assert "cannot reach the Chroma server at http://127.0.0.1:" in err.value.message
    assert "s3cret" not in str(err.value) and "KB_CHROMA_TOKEN" in err.value.hint
