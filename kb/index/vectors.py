"""The vector index in ChromaDB: embedded on disk by default, or a shared server.

`[index] chroma_url = "http://host:8000"` makes paper-kb use a Chroma server (a lab can share
one index); a token for it comes from $KB_CHROMA_TOKEN and is never written to config.toml,
printed or put in an error message. Vectors are always computed by paper-kb: Chroma's own
embedding function (which would download a model) is switched off.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kb import paths
from kb.errors import BadInput, KbError

TOKEN_ENV = "KB_CHROMA_TOKEN"


class VectorStoreError(KbError):
    pass


def collection_name(model: str) -> str:
    """One collection per embedding model: vectors of two models never mix."""
    slug = re.sub(r"[^a-zA-Z0-9_.-]+", "-", model).strip("-._") or "model"
    return f"chunks-{slug}"[:120]


def chunk_vector_id(chunk_id: int) -> str:
    return f"c{chunk_id}"


class VectorStore:
    def __init__(self, collection: Any, client: Any, where: str, cache_key: tuple | None = None):
        self.collection = collection
        self.client = client
        self.where = where  # the folder or server, for messages
        self.cache_key = cache_key  # its entry in _collections: forgotten when a call fails

    # -- writing ---------------------------------------------------------------------------
    def upsert(self, chunk_ids: Sequence[int], vectors: Any, metadatas: Sequence[dict]) -> None:
        if not len(chunk_ids):
            return
        step = max(1, min(5000, self._max_batch()))
        for i in range(0, len(chunk_ids), step):
            self._call(
                self.collection.upsert,
                ids=[chunk_vector_id(c) for c in chunk_ids[i:i + step]],
                embeddings=vectors[i:i + step],
                metadatas=list(metadatas[i:i + step]),
            )

    def delete_attachments(self, attachment_ids: Iterable[int]) -> None:
        ids = sorted({int(a) for a in attachment_ids})
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            where = {"attachment_id": part[0]} if len(part) == 1 else {"attachment_id": {"$in": part}}
            self._call(self.collection.delete, where=where)

    # -- reading ---------------------------------------------------------------------------
    def query(self, vector: Any, n: int, paper_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine distance) nearest first, optionally only within some papers."""
        if paper_ids is not None and not paper_ids:
            return []
        where = None
        if paper_ids is not None:
            ids = [int(p) for p in paper_ids]
            where = {"paper_id": ids[0]} if len(ids) == 1 else {"paper_id": {"$in": ids}}
        result = self._call(self.collection.query, query_embeddings=[vector], n_results=max(1, n), where=where, include=["distances"])
        return [(int(i[1:]), float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]

    def count(self) -> int:
        return int(self._call(self.collection.count))

    def _max_batch(self) -> int:
        try:
            return int(self.client.get_max_batch_size())
        except Exception:  # noqa: BLE001 - a server too old to say: a safe size
            return 1000

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KbError:
            raise
        except Exception as exc:
            if self.cache_key is not None:
                _collections.pop(self.cache_key, None)  # the next open looks the collection up again
            raise VectorStoreError(
                f"the vector index at {self.where} failed: {type(exc).__name__}: {_redact(str(exc))[:200]}",
                "run `kb index --rebuild` if the index folder is damaged, or check the Chroma server",
            ) from exc


def open_vectors(home: Path, config: dict, *, model: str | None = None) -> VectorStore:
    """The collection for the configured model, created on first use.

    Opened once per process, under a lock: Chroma's embedded client is not safe to create from
    two threads at once (`Could not connect to tenant default_tenant`, `'RustBindingsAPI' object
    has no attribute 'bindings'`), and the TUI's search workers asked for it together. A second
    caller waits for the first and reuses its client.

    The collection is looked up once and kept while the folder's vectors marker is unchanged
    (every `kb index` that writes touches it): the lookup costs about 2 ms, a fifth of a warm
    search. A server's collection (a lab's, rebuilt by anyone) is looked up on every call, and
    a kept one is forgotten when a call through it fails.
    """
    settings = config.get("index", {})
    model = model or settings.get("model") or "all-MiniLM-L6-v2"
    url = settings.get("chroma_url") or ""
    with _open_lock:
        client, where = _client(home, url)
        key = (str(home), url, model)
        stamp = _marker_stamp(home) if not url else None
        kept = _collections.get(key)
        if stamp is not None and kept is not None and kept[1] == stamp:
            return VectorStore(kept[0], client, where, key)
        try:
            collection = client.get_or_create_collection(
                collection_name(model),
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"model": model},
            )
        except Exception as exc:
            raise VectorStoreError(
                f"cannot open the vector index at {where}: {type(exc).__name__}: {_redact(str(exc))[:200]}",
                "run `kb index --rebuild` if the index folder is damaged, or check the Chroma server",
            ) from exc
        if stamp is not None:
            _collections[key] = (collection, stamp)
    return VectorStore(collection, client, where, key if stamp is not None else None)


def vectors_marker(home: Path) -> Path:
    """Present while the local vector folder holds what index_state describes; touched by each
    `kb index` that writes vectors."""
    return paths.index_dir(home) / "chroma" / "kb-vectors.marker"


def _marker_stamp(home: Path) -> tuple[int, int] | None:
    """When the vectors were last written here, or None."""
    try:
        st = vectors_marker(home).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino)


def drop_collection(home: Path, config: dict, *, model: str | None = None) -> None:
    settings = config.get("index", {})
    model = model or settings.get("model") or "all-MiniLM-L6-v2"
    url = settings.get("chroma_url") or ""
    with _open_lock:
        client, _ = _client(home, url)
        _collections.pop((str(home), url, model), None)
        try:
            client.delete_collection(collection_name(model))
        except Exception:  # noqa: BLE001, S110 - nothing to drop
            pass


# Held while a client or collection is created; reentrant so open_vectors can call _client.
_open_lock = threading.RLock()
_clients: dict[tuple[str, str], tuple[Any, str]] = {}
_collections: dict[tuple[str, str, str], tuple[Any, tuple[int, int]]] = {}  # (home, url, model) -> (collection, marker stamp)


def _client(home: Path, url: str) -> tuple[Any, str]:
    """A cached client: Chroma allows one embedded client per folder and process."""
    from kb.index.imports import HEAVY_IMPORTS

    key = (str(home), url)
    with _open_lock:
        if key not in _clients:
            with HEAVY_IMPORTS:
                _clients[key] = _http_client(url) if url else _persistent_client(home)
        return _clients[key]


def _settings(**extra: Any) -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False, **extra)


def _persistent_client(home: Path) -> tuple[Any, str]:
    import chromadb

    folder = paths.index_dir(home) / "chroma"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(folder), settings=_settings()), str(folder)
    except OSError as exc:
        raise VectorStoreError(f"cannot create the index folder {folder}: {exc.strerror or exc}", "check the data folder is writable") from exc
    except Exception as exc:
        raise VectorStoreError(
            f"cannot open the vector index in {folder}: {type(exc).__name__}: {str(exc)[:200]}",
            "it is rebuildable: run `kb index --rebuild`",
        ) from exc


def _http_client(url: str) -> tuple[Any, str]:
    import chromadb

    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise BadInput(f"index.chroma_url {url!r} is not an http(s) URL", "use e.g. http://127.0.0.1:8000, or empty for the local index")
    ssl = parsed.scheme == "https"
    port = parsed.port or (443 if ssl else 8000)
    where = f"{parsed.scheme}://{parsed.hostname}:{port}"
    extra: dict[str, Any] = {}
    token = os.environ.get(TOKEN_ENV)
    if token:
        extra = {
            "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
            "chroma_client_auth_credentials": token,
        }
    try:
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=_settings(**extra))
        client.heartbeat()
    except Exception as exc:
        raise VectorStoreError(
            f"cannot reach the Chroma server at {where}: {type(exc).__name__}",
            f"start it (`chroma run`), check index.chroma_url, and ${TOKEN_ENV} if the server wants a token",
        ) from exc
    return client, where


def _redact(text: str) -> str:
    token = os.environ.get(TOKEN_ENV)
    return text.replace(token, "***") if token else text

