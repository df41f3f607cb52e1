"""A warm query server for `kb search`: repeated searches from the command line skip the
seconds of importing Chroma and onnxruntime and opening the index.

One per data home, started on demand by the first `kb search` (as mypy's dmypy or Gradle's
daemon are), listening on a Unix socket `index/search.sock` that only the user can open (mode
0600), and gone after `index.query_server_idle_s` seconds without a query. A request carries
the client's code version: a server running other code answers "version" and exits, and the
client starts a current one. `kb index` stops it (its Chroma client would not see the new
vectors); `--no-server`, or `kb config index.query_server false`, bypasses it (and stops one
that is running).

Protocol: one JSON line each way. Request {"version", "query", "mode", "limit", "filters",
"config"} or {"version", "op": "stop"}; answer {"version", "hits": [...]} or {"version",
"error": {"kind", "message", "hint"}}.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kb import paths
from kb.errors import KbError

PROTOCOL = 1
READY_TIMEOUT_S = 120.0  # a server's start-up (imports, opening the index) on a busy machine
REQUEST_TIMEOUT_S = 120.0
_MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes depending on the system


def socket_path(home: Path) -> Path:
    return paths.index_dir(home) / "search.sock"


def code_version() -> str:
    """The protocol and the code of the kb package: a server running older code is replaced."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(f"{PROTOCOL}".encode())
    for path in sorted(root.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


# -- the client -----------------------------------------------------------------------------------
def search(home: Path, config: dict, query: str, *, mode: str, limit: int, filters: Any) -> list[dict] | None:
    """Hits (as dicts) from the home's server, started if need be; None when no server can
    answer (the caller searches in-process). A KbError from the search is raised as such."""
    path = socket_path(home)
    if len(str(path).encode()) > _MAX_SOCKET_PATH:
        return None
    version = code_version()
    request = {"version": version, "query": query, "mode": mode, "limit": limit,
               "filters": _filters_dict(filters), "config": config}
    for _ in range(2):  # a second time after replacing a server of another version
        answer = _ask(path, request)
        if answer is None:
            if not _start(home, config) or (answer := _ask(path, request, wait_s=READY_TIMEOUT_S)) is None:
                return None
        if answer.get("version") != version:
            _wait_gone(path)
            continue
        error = answer.get("error")
        if error:
            if error.get("kind") == "version":
                _wait_gone(path)
                continue
            raise _error_class(error.get("kind"))(error.get("message") or "the search failed", error.get("hint"))
        return answer.get("hits")
    return None


def _error_class(kind: Any) -> type[KbError]:
    from kb import errors

    cls = getattr(errors, str(kind), None)
    return cls if isinstance(cls, type) and issubclass(cls, KbError) else KbError


def stop(home: Path) -> bool:
    """Stop the home's server, if one runs (even one still starting); True when one did.

    A signal rather than a request: a server still importing its libraries cannot answer yet,
    and `kb index` must not wait for it. The lock file says whether a server holds the home, and
    holds its pid.
    """
    import fcntl
    import signal

    lock_file = paths.index_dir(home) / "search.lock"
    try:
        with open(lock_file, "r") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                pid = int(fh.read().strip() or 0)
            else:
                return False  # nobody holds it: no server
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    # Gone when its lock is free; a library's own SIGTERM handler may have skipped its clean-up.
    deadline = time.monotonic() + 10.0
    while _held(lock_file) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not _held(lock_file):
        socket_path(home).unlink(missing_ok=True)
    return True


def _held(lock_file: Path) -> bool:
    import fcntl

    try:
        with open(lock_file, "r") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            return False
    except OSError:
        return False


def _ask(path: Path, request: dict, wait_s: float = 0.0) -> dict | None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(REQUEST_TIMEOUT_S)
                conn.connect(str(path))
                conn.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
                return json.loads(_read_line(conn))
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def _start(home: Path, config: dict) -> bool:
    """Start a detached server for `home` (it outlives this process, not its idle timeout)."""
    idle = float(config.get("index", {}).get("query_server_idle_s") or 600)
    folder = paths.index_dir(home)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = open(folder / "search-server.log", "ab")  # noqa: SIM115 - handed to the child
    except OSError:
        return False
    try:
        subprocess.Popen([sys.executable, "-m", "kb.search.server", str(home), str(idle)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                         start_new_session=True, close_fds=True)
    except OSError:
        return False
    finally:
        log.close()
    return True


def _wait_gone(path: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        part = conn.recv(1 << 16)
        if not part:
            break
        data += part
    return data


def _filters_dict(filters: Any) -> dict:
    if filters is None:
        return {}
    from dataclasses import asdict

    return asdict(filters)


# -- the server -----------------------------------------------------------------------------------
def serve(home: Path, idle_s: float) -> int:
    """Answer searches on the home's socket until idle for idle_s seconds, asked to stop, or
    asked by a client of another version. Exits at once when another server holds the home."""
    import fcntl
    import signal

    folder = paths.index_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    lock = open(folder / "search.lock", "a+")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # one server per home: that one answers
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")  # for stop()
    lock.flush()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop(): leave through `finally`
    path = socket_path(home)
    path.unlink(missing_ok=True)  # left by a server that was killed: we hold the lock now
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is created 0600: no moment where others may connect
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    try:
        listener.listen(8)  # clients queue while the libraries load
        version = code_version()
        # stop() is a SIGTERM, which the kernel gives to any thread not blocking it. Taken by
        # one of the threads the libraries start (onnxruntime's, Chroma's), it interrupted
        # nothing: this thread slept on in accept() and the server outlived stop() (found under
        # load, 1 run in 3). Blocked while they start their threads, which keep the block, it
        # comes to this thread; and accept() wakes every second, so a signal some later thread
        # took is handled within one.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            store = _warm(home)
        finally:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # again: a library may have set its own
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        listener.settimeout(min(1.0, idle_s))
        idle_since = time.monotonic()
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                if time.monotonic() - idle_since >= idle_s:
                    return 0
                continue
            with conn:
                if not _handle(conn, store, home, version):
                    return 0
            idle_since = time.monotonic()
    finally:
        path.unlink(missing_ok=True)
        listener.close()
        lock.close()


def _warm(home: Path) -> Any:
    """Open the store, load the query encoder and Chroma now, not at the first query."""
    from kb import config as config_mod
    from kb.index.embedder import get_embedder
    from kb.index.vectors import open_vectors
    from kb.store import Store

    store = Store.open(home)
    config = config_mod.load(paths.config_path(home))
    model = config.get("index", {}).get("model") or "all-MiniLM-L6-v2"
    try:
        get_embedder(model, home).encode_query("warm up")
        open_vectors(home, config, model=model)
    except KbError:
        pass  # the first query reports it
    # What is loaded now (the model, Chroma, the store: some 80,000 objects) lives as long as the
    # server: out of the collector's sight, a full collection no longer walks it. One landed in a
    # search now and then and took 40 ms of it (a 50k-chunk library, 13 ms searches).
    gc.freeze()
    return store


def _handle(conn: socket.socket, store: Any, home: Path, version: str) -> bool:
    """Answer one request; False when the server should exit."""
    conn.settimeout(10.0)
    try:
        request = json.loads(_read_line(conn))
    except (OSError, ValueError):
        return True
    if request.get("version") != version:
        _send(conn, {"version": version, "error": {"kind": "version", "message": "the server runs other code"}})
        return False
    if request.get("op") == "stop":
        _send(conn, {"version": version, "stopped": True})
        return False
    _send(conn, {"version": version, **_run(store, home, request)})
    return True


def _run(store: Any, home: Path, request: dict) -> dict:
    from kb.search.filters import Filters
    from kb.search.hybrid import search as run_search

    try:
        hits = run_search(store, home, request.get("config") or {}, request.get("query") or "",
                          mode=request.get("mode") or "hybrid", limit=int(request.get("limit") or 10),
                          filters=Filters(**(request.get("filters") or {})))
        return {"hits": [h.to_dict() for h in hits]}
    except KbError as exc:  # its class travels by name: the CLI's exit code depends on it
        return {"error": {"kind": type(exc).__name__, "message": exc.message, "hint": exc.hint}}
    except Exception as exc:  # noqa: BLE001 - the client says it in one line; the server stays up
        return {"error": {"kind": "KbError", "message": f"the search failed: {type(exc).__name__}: {exc}"[:300], "hint": "try `kb search --no-server`"}}


def _send(conn: socket.socket, answer: dict) -> None:
    try:
        conn.sendall(json.dumps(answer, ensure_ascii=False).encode() + b"\n")
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1]), float(sys.argv[2])))
