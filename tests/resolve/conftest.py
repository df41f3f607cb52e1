"""A stand-in for arXiv, Crossref, OpenAlex, Semantic Scholar and OpenReview on 127.0.0.1, serving answers
recorded in the shapes those APIs return (tests/resolve/data), and a guard that fails any test
that tries to reach another host."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

DATA = Path(__file__).parent / "data"


def _pdf_bytes(title: str) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 90), title, fontsize=18)
    page.insert_text((72, 115), "Albert Q. Jiang, Alexandre Sablayrolles, Antoine Roux", fontsize=11)
    body = ("Abstract. We introduce a sparse mixture of experts language model in which each layer has eight feed-forward "
            "blocks and a router selects two of them for every token at every layer. ") * 6
    y = 150
    for k in range(0, len(body), 90):
        page.insert_text((72, y), body[k:k + 90], fontsize=10)
        y += 14
    return doc.tobytes()


class FakeSources:
    def __init__(self):
        self.hits: list[str] = []
        self.pdf = _pdf_bytes("Mixtral of Experts")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                outer.hits.append(self.path)
                status, body, ctype = outer.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _file(self, name: str) -> bytes:
        return (DATA / name).read_text(encoding="utf-8").replace("{BASE}", self.base).encode("utf-8")

    def answer(self, raw: str) -> tuple[int, bytes, str]:
        parts = urlsplit(raw)
        path, query = unquote(parts.path), parse_qs(parts.query)
        if path == "/arxiv/api/query":
            ident = query["id_list"][0]
            name = f"arxiv_{ident}.xml"
            return 200, self._file(name if (DATA / name).exists() else "arxiv_missing.xml"), "application/atom+xml"
        if path.startswith("/crossref/works/"):
            name = "crossref_" + path.removeprefix("/crossref/works/").replace("/", "_") + ".json"
            if (DATA / name).exists():
                return 200, self._file(name), "application/json"
            return 404, b"Resource not found.", "text/plain"
        if path.startswith("/openalex/works/doi:"):
            name = "openalex_" + path.removeprefix("/openalex/works/doi:").replace("/", "_") + ".json"
            if (DATA / name).exists():
                return 200, self._file(name), "application/json"
            return 404, b'{"error":"Not Found"}', "application/json"
        if path.startswith("/s2/paper/"):
            name = "s2_" + path.removeprefix("/s2/paper/").replace(":", "_", 1) + ".json"
            if (DATA / name).exists():
                return 200, self._file(name), "application/json"
            return 404, b'{"error":"Paper not found"}', "application/json"
        if path in ("/openreview2/notes", "/openreview1/notes"):
            # API 2 holds venues since 2023 and API 1 the older ones; each answers an id it
            # does not hold with no notes.
            name = f"openreview_v{path[11]}_{query['id'][0]}.json"
            if (DATA / name).exists():
                return 200, self._file(name), "application/json"
            return 200, b'{"notes": [], "count": 0}', "application/json"
        if path.startswith("/pdf/"):
            return 200, self.pdf, "application/pdf"
        if path.startswith("/notpdf/"):
            return 200, b"<html>Sign in to read</html>", "text/html"
        return 404, b"", "text/plain"

    def config(self, **over) -> dict:
        resolve = {"online": True, "arxiv_url": f"{self.base}/arxiv/api/query", "crossref_url": f"{self.base}/crossref",
                   "semanticscholar_url": f"{self.base}/s2", "openalex_url": f"{self.base}/openalex",
                   "openreview_url": f"{self.base}/openreview2", "openreview_v1_url": f"{self.base}/openreview1",
                   "timeout_s": 5.0, "min_interval_s": 0.0, "arxiv_interval_s": 0.0}
        resolve.update(over)
        return {"resolve": resolve}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sources():
    s = FakeSources()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch):
    """Any connection to a host other than 127.0.0.1 fails the test: nothing here may reach the internet."""
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        host = address[0]
        if host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"a test tried to reach {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
