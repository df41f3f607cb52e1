"""A Zotero-like HTTP server for tests: pyzotero talks to it for real over 127.0.0.1.

It keeps a library (items, collections, deletions, files) with Zotero's versioning rules and
answers the web API's and the local API's read and write calls: `since=`, `start`/`limit`
with `Link` and `Total-Results`, `Last-Modified-Version`, `/deleted`, `includeTrashed`,
`format=versions`, file downloads, and writes. Faults (status codes, headers, delays, broken
bodies) are queued per path to imitate 403/404/429/5xx, timeouts and malformed JSON; hostile
bodies too: dripped a byte at a time, endless, or a gzip bomb.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


def new_key(rng: random.Random) -> str:
    return "".join(rng.choice(KEY_CHARS) for _ in range(8))


@dataclass
class Fault:
    path: str  # substring of the request path
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"error"
    times: int = 1
    delay_s: float = 0.0
    drip_s: float = 0.0  # send the body one byte at a time, this long apart
    endless: bool = False  # a chunked body that never ends (until the client goes away)
    gzip_bomb_mb: int = 0  # the body is this many MiB of zeros, gzip-compressed (Content-Encoding: gzip)
    header_drip_s: float = 0.0  # send a long header one byte at a time, this long apart, before the body

    def __post_init__(self) -> None:
        if self.gzip_bomb_mb:  # compressed here, not while the client waits for an answer
            self.body = gzip.compress(b"0" * (self.gzip_bomb_mb * 2**20), 6)


class FakeZotero:
    def __init__(self, library_id: str = "475425", library_type: str = "user", api_key: str | None = None, zotero_version: str = "7.0.32"):
        self.library_id = library_id
        self.library_type = library_type
        self.api_key = api_key
        self.zotero_version = zotero_version
        self.version = 0
        self.items: dict[str, dict[str, Any]] = {}
        self.collections: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, int]] = {"items": {}, "collections": {}}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.faults: list[Fault] = []
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.rng = random.Random(7)
        self._server: ThreadingHTTPServer | None = None

    # -- the library -------------------------------------------------------------------------
    def _bump(self) -> int:
        self.version += 1
        return self.version

    def put_item(self, data: dict[str, Any]) -> str:
        """Add or replace an item (Zotero JSON `data`); it gets the next library version."""
        with self.lock:
            data = dict(data)
            data.setdefault("key", new_key(self.rng))
            data.setdefault("tags", [])
            data.setdefault("collections", [])
            data.setdefault("relations", {})
            data["version"] = self._bump()
            self.items[data["key"]] = {"key": data["key"], "version": data["version"],
                                        "library": {"type": self.library_type, "id": int(self.library_id)}, "meta": {}, "data": data}
            return data["key"]

    def put_raw(self, obj: dict[str, Any], key: str) -> None:
        """Serve an object as given (recorded responses, malformed objects)."""
        with self.lock:
            self.items[key] = obj

    def edit_item(self, key: str, **changes: Any) -> None:
        data = dict(self.items[key]["data"], **changes)
        self.put_item(data)

    def delete_item(self, key: str) -> None:
        with self.lock:
            self.items.pop(key, None)
            self.deleted["items"][key] = self._bump()

    def put_collection(self, name: str, key: str | None = None, parent: str | None = None) -> str:
        with self.lock:
            key = key or new_key(self.rng)
            version = self._bump()
            self.collections[key] = {"key": key, "version": version, "meta": {},
                                     "data": {"key": key, "version": version, "name": name, "parentCollection": parent or False, "relations": {}}}
            return key

    def put_file(self, key: str, body: bytes, content_type: str = "application/pdf") -> None:
        self.files[key] = (body, content_type)

    # -- the server ----------------------------------------------------------------------------
    def start(self) -> "FakeZotero":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PATCH(self) -> None:
                fake._handle(self, "PATCH")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, fragment: str = "") -> int:
        return sum(1 for line in self.log if fragment in line)

    # -- request handling ----------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(h.path)
        path = re.sub(r"^/api(?=/)", "", parsed.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.log.append(f"{method} {path}?{parsed.query}")
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        fault = next((f for f in self.faults if f.path in f"{path}?{parsed.query}" and f.times > 0), None)
        if fault:
            fault.times -= 1
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.drip_s or fault.endless or fault.gzip_bomb_mb or fault.header_drip_s:
                return self._send_hostile(h, fault)
            return self._send(h, fault.status, fault.body, fault.headers)
        if path == "/connector/ping":
            return self._send(h, 200, b"Zotero is running", {"X-Zotero-Version": self.zotero_version})
        match = re.match(r"^/(users|groups)/(\d+)(/.*)?$", path)
        if not match:
            return self._send(h, 404, b"Not found")
        if self.api_key and h.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._send(h, 403, b"Forbidden")
        if match.group(2) != self.library_id and not (match.group(2) == "0"):
            return self._send(h, 404, b"Not found")
        rest = match.group(3) or "/"
        with self.lock:
            if method == "GET":
                return self._get(h, rest, query)
            return self._write(h, rest, json.loads(body or b"[]"))

    def _get(self, h: BaseHTTPRequestHandler, rest: str, query: dict[str, str]) -> None:
        since = int(query.get("since") or 0)
        file_match = re.match(r"^/items/([A-Z0-9]+)/file(/view)?$", rest)
        if file_match:
            found = self.files.get(file_match.group(1))
            if found is None:
                return self._send(h, 404, b"Not found")
            return self._send(h, 200, found[0], {"Content-Type": found[1]})
        one = re.match(r"^/items/([A-Z0-9]+)$", rest)
        if one:
            obj = self.items.get(one.group(1))
            return self._send(h, 200 if obj else 404, json.dumps(obj).encode() if obj else b"Not found")
        if rest == "/deleted":
            out = {kind: [k for k, v in keys.items() if v > since] for kind, keys in self.deleted.items()}
            out.update(searches=[], tags=[], settings=[])
            return self._json(h, out)
        if rest in ("/items", "/items/top", "/collections"):
            pool = self.collections if rest == "/collections" else self.items
            objs = [o for o in pool.values() if int(o.get("version") or 0) > since]
            if rest != "/collections" and query.get("includeTrashed") != "1":
                objs = [o for o in objs if not (isinstance(o.get("data"), dict) and o["data"].get("deleted"))]
            if rest == "/items/top":
                objs = [o for o in objs if not o.get("data", {}).get("parentItem")]
            if query.get("itemKey"):
                wanted = set(query["itemKey"].split(","))
                objs = [o for o in objs if o.get("key") in wanted]
            objs.sort(key=lambda o: (int(o.get("version") or 0), str(o.get("key"))))
            if query.get("format") == "versions":
                return self._json(h, {o["key"]: o["version"] for o in objs})
            start, limit = int(query.get("start") or 0), min(int(query.get("limit") or 25), 100)
            page = objs[start:start + limit]
            headers = {"Total-Results": str(len(objs))}
            if start + limit < len(objs):
                nxt = dict(query, start=str(start + limit), limit=str(limit))
                headers["Link"] = f'<{self.url}/{self.library_type}s/{self.library_id}{rest}?{urlencode(nxt)}>; rel="next"'
            return self._json(h, page, headers)
        return self._send(h, 404, b"Not found")

    def _write(self, h: BaseHTTPRequestHandler, rest: str, payload: Any) -> None:
        if rest not in ("/items", "/collections"):
            return self._send(h, 404, b"Not found")
        success, failed = {}, {}
        for i, obj in enumerate(payload):
            if rest == "/collections":
                key = new_key(self.rng)
                version = self._bump()
                self.collections[key] = {"key": key, "version": version, "meta": {}, "data": dict(obj, key=key, version=version)}
                success[str(i)] = key
                continue
            key = obj.get("key")
            if key and key in self.items:
                current = self.items[key]["data"]
                if obj.get("version") is not None and int(obj["version"]) != int(current["version"]):
                    failed[str(i)] = {"key": key, "code": 412, "message": "Item has been modified since specified version"}
                    continue
                data = dict(current, **{k: v for k, v in obj.items() if k != "version"})
            else:
                data = dict(obj, key=key or new_key(self.rng))
            data["version"] = self._bump()
            data.setdefault("tags", [])
            data.setdefault("collections", [])
            self.items[data["key"]] = {"key": data["key"], "version": data["version"], "meta": {}, "data": data}
            success[str(i)] = data["key"]
        out = {"success": success, "successful": {k: self.items.get(v, self.collections.get(v)) for k, v in success.items()},
               "unchanged": {}, "failed": failed}
        return self._json(h, out)

    def _send_hostile(self, h: BaseHTTPRequestHandler, fault: Fault) -> None:
        try:
            h.send_response(fault.status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Last-Modified-Version", str(self.version))
            for name, value in fault.headers.items():
                h.send_header(name, value)
            if fault.header_drip_s:
                h.flush_headers()
                for byte in b"X-Slow: " + b"z" * 4000 + b"\r\n":
                    h.wfile.write(bytes([byte]))
                    h.wfile.flush()
                    time.sleep(fault.header_drip_s)
            if fault.endless:
                h.send_header("Transfer-Encoding", "chunked")
                h.end_headers()
                chunk = b"[" + b'{"key": "AAAAAAAA"},' * 3000
                while True:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    chunk = b'{"key": "AAAAAAAA"},' * 3000
            body = fault.body
            if fault.gzip_bomb_mb:
                h.send_header("Content-Encoding", "gzip")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for i in range(len(body)):
                h.wfile.write(body[i:i + 1] if fault.drip_s else body)
                h.wfile.flush()
                if not fault.drip_s:
                    break
                time.sleep(fault.drip_s)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def _json(self, h: BaseHTTPRequestHandler, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(h, 200, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "text/plain")
        headers.setdefault("Last-Modified-Version", str(self.version))
        try:
            h.send_response(status)
            for name, value in headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def paper_data(title: str, *, doi: str | None = None, arxiv: str | None = None, authors: tuple[str, ...] = ("Edward Hu",),
               year: int = 2021, item_type: str = "journalArticle", **extra: Any) -> dict[str, Any]:
    """Zotero JSON `data` for a paper, the way Zotero fills it."""
    data: dict[str, Any] = {
        "itemType": item_type, "title": title,
        "creators": [{"creatorType": "author", "firstName": " ".join(a.split()[:-1]), "lastName": a.split()[-1]} for a in authors],
        "abstractNote": "", "date": str(year), "url": f"https://arxiv.org/abs/{arxiv}" if arxiv else "",
        "extra": f"arXiv: {arxiv}" if arxiv else "", "dateAdded": "2024-01-02T03:04:05Z", "dateModified": "2024-01-02T03:04:05Z",
    }
    if doi:
        data["DOI"] = doi
    data.update(extra)
    return data


def attachment_data(parent: str, filename: str, *, key: str | None = None, content_type: str = "application/pdf",
                    link_mode: str = "imported_file") -> dict[str, Any]:
    data = {"itemType": "attachment", "parentItem": parent, "linkMode": link_mode, "title": "Full Text PDF",
            "contentType": content_type, "filename": filename, "md5": "0" * 32, "mtime": 1}
    if key:
        data["key"] = key
    return data


def annotation_data(parent: str, text: str, *, comment: str = "", color: str = "#ffd400", page_label: str = "1",
                    page_index: int = 0, kind: str = "highlight") -> dict[str, Any]:
    return {"itemType": "annotation", "parentItem": parent, "annotationType": kind, "annotationText": text,
            "annotationComment": comment, "annotationColor": color, "annotationPageLabel": page_label,
            "annotationSortIndex": f"{page_index:05d}|000100|00200",
            "annotationPosition": json.dumps({"pageIndex": page_index, "rects": [[1, 2, 3, 4]]}),
            "dateAdded": "2024-02-01T00:00:00Z", "dateModified": "2024-02-01T00:00:00Z"}
