"""The Zotero web API and Zotero's local API (Zotero 7+), both through pyzotero.

pyzotero waits out 429 `Backoff`/`Retry-After` itself; this module adds what a sync needs on
top: a bounded timeout on every request, bounded retries with backoff for 5xx and network
failures, page-by-page listing (a malformed page becomes a warning, not a lost sync), and
user-facing errors that never carry the API key.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import httpx2
from pyzotero import zotero as pyzotero
from pyzotero import zotero_errors as ze

from kb.zotero.errors import AccessDenied, LibraryNotFound, Unreachable, ZoteroError
from kb.zotero.model import Attachment, Batch, collection_from_api, split_objects

T = TypeVar("T")
WEB_ENDPOINT = "https://api.zotero.org"
LOCAL_ENDPOINT = "http://localhost:23119/api"
PAGE_SIZE = 100


@dataclass
class RetryPolicy:
    timeout_s: float = 30.0
    attempts: int = 4
    backoff_s: float = 1.0  # doubled after each failed attempt


class _CountingClient(httpx2.Client):
    """Applies our timeout to every request (pyzotero passes its own) and counts requests."""

    def __init__(self, timeout_s: float, **kwargs: Any):
        super().__init__(timeout=timeout_s, follow_redirects=True, **kwargs)
        self.timeout_s = timeout_s
        self.requests = 0

    def request(self, method: str, url: Any, **kwargs: Any) -> httpx2.Response:  # type: ignore[override]
        kwargs["timeout"] = self.timeout_s
        self.requests += 1
        return super().request(method, url, **kwargs)


class _PageFailed(Exception):
    """A page of a listing could not be read after retries; the sync goes on without it."""


class WebSource:
    """A Zotero library over HTTP: the web API (`local=False`) or the local API (`local=True`)."""

    def __init__(self, *, library_id: str | int = 0, library_type: str = "user", api_key: str | None = None,
                 endpoint: str | None = None, local: bool = False, data_dir: str | Path | None = None,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep):
        self.local = local
        self.kind = "local" if local else "web"
        self.library_type = library_type if library_type in ("user", "group") else "user"
        self.library_id = str(library_id or 0)
        self.policy = policy or RetryPolicy()
        self.data_dir = Path(data_dir).expanduser() if data_dir else None
        self._sleep = sleep
        self._http = _CountingClient(self.policy.timeout_s, trust_env=not local)
        self.zot = pyzotero.Zotero(self.library_id, self.library_type, api_key, local=local, client=self._http)
        self.zot.endpoint = (endpoint or (LOCAL_ENDPOINT if local else WEB_ENDPOINT)).rstrip("/")
        self._zotero_version: tuple[int, ...] | None = None

    @property
    def library(self) -> str:
        return "local" if self.local else f"{self.library_type}:{self.library_id}"

    @property
    def requests(self) -> int:
        return self._http.requests

    def close(self) -> None:
        self._http.close()

    # -- errors and retries ------------------------------------------------------------------
    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """fn(*args, **kwargs) with bounded retries for what may pass (5xx, timeouts, network)."""
        delay = self.policy.backoff_s
        last = ""
        for attempt in range(self.policy.attempts):
            try:
                return fn(*args, **kwargs)
            except ze.UserNotAuthorisedError:
                raise AccessDenied(
                    f"Zotero refused access to {self.library} while {what} (HTTP 403/401)",
                    "check the API key's permissions at https://www.zotero.org/settings/keys, then `kb zotero setup --api-key …`",
                ) from None
            except ze.ResourceNotFoundError:
                raise LibraryNotFound(
                    f"Zotero has no {what.split()[-1]} for {self.library} (HTTP 404)",
                    "check --library-id and --library-type (user or group) in `kb zotero setup`",
                ) from None
            except (ze.TooManyRetriesError, ze.TooManyRequestsError):
                last = "still rate-limited (HTTP 429)"
            except ze.PyZoteroError:
                status = self._status()
                if status is None or status < 500:
                    raise ZoteroError(f"Zotero answered HTTP {status} while {what}", "run again with --debug for details") from None
                last = f"HTTP {status}"
            except httpx2.TimeoutException:
                last = f"no answer within {self.policy.timeout_s:g} s"
            except httpx2.TransportError as exc:
                last = f"cannot connect ({type(exc).__name__})"
            except json.JSONDecodeError:
                last = "the answer was not valid JSON"
            if attempt + 1 < self.policy.attempts:
                self._sleep(delay)
                delay *= 2
        where = "Zotero (is it running, with the local API enabled in Settings → Advanced?)" if self.local else self.zot.endpoint
        raise Unreachable(f"{what}: {where} failed {self.policy.attempts} times: {last}", "try again later; nothing stored was changed")

    def _status(self) -> int | None:
        request = self.zot.request
        return request.status_code if request is not None else None

    # -- the local API's version ------------------------------------------------------------
    def zotero_version(self) -> tuple[int, ...]:
        """The running Zotero's version (local API), from the connector ping's X-Zotero-Version."""
        if self._zotero_version is None:
            base = re.sub(r"/api$", "", self.zot.endpoint)
            try:
                resp = self._http.request("GET", f"{base}/connector/ping")
                raw = resp.headers.get("X-Zotero-Version", "")
            except httpx2.HTTPError:
                raw = ""
            self._zotero_version = tuple(int(p) for p in re.findall(r"\d+", raw)[:3]) or (7, 0, 0)
        return self._zotero_version

    def has_library_versions(self) -> bool:
        """Whether `since=` means what it says: always on the web; on the local API from Zotero 10
        (before, the versions are the last *sync* versions, 0 for never-synced items)."""
        return not self.local or self.zotero_version()[0] >= 10

    def can_write(self) -> bool:
        return not self.local or self.zotero_version()[0] >= 10

    # -- listing ---------------------------------------------------------------------------
    def fetch(self, since: int = 0) -> Batch:
        """Everything changed since `since` (a full listing when since is 0 or not trustworthy)."""
        incremental = since > 0 and self.has_library_versions()
        since = since if incremental else 0
        version = self.call("reading the library version", self.zot.last_modified_version)
        batch = Batch(library=self.library, version=version, complete=not incremental)
        params: dict[str, Any] = {"since": since} if incremental else {}
        objects = self._pages("listing items", self.zot.items, batch, includeTrashed=1 if incremental else 0, **params)
        trashed = [o for o in objects if isinstance(o, dict) and isinstance(o.get("data"), dict) and o["data"].get("deleted")]
        batch.deleted_items += [o["key"] for o in trashed]
        split_objects([o for o in objects if o not in trashed], batch)
        for obj in self._pages("listing collections", self.zot.collections, batch, **params):
            try:
                batch.collections.append(collection_from_api(obj))
            except (KeyError, TypeError, AttributeError, ValueError):
                batch.warnings.append("a collection was skipped: malformed")
        if incremental:
            deleted = self.call("listing deletions", self.zot.deleted, since=since)
            batch.deleted_items += [str(k) for k in (deleted or {}).get("items", [])]
            batch.deleted_collections += [str(k) for k in (deleted or {}).get("collections", [])]
        return batch

    def _pages(self, what: str, method: Callable[..., Any], batch: Batch, **params: Any) -> list[Any]:
        """All pages of a listing, by `start`/`limit`; a page that cannot be read is a warning
        and marks the batch incomplete-in-version so the next sync asks again."""
        out: list[Any] = []
        start = 0
        while True:
            try:
                page = self.call(what, method, start=start, limit=PAGE_SIZE, **params)
            except Unreachable as exc:
                if start == 0:
                    raise
                batch.warnings.append(f"{what}: page at {start} skipped ({exc.message})")
                batch.version = 0  # keep the old version: the next sync fetches this range again
                page = None
            if page is not None and not isinstance(page, list):
                batch.warnings.append(f"{what}: page at {start} skipped (not a list)")
                page = None
            out.extend(page or [])
            total = self._total()
            start += PAGE_SIZE
            if total is None or start >= total:
                return out

    def _total(self) -> int | None:
        request = self.zot.request
        try:
            return int(request.headers.get("Total-Results")) if request is not None else None
        except (TypeError, ValueError):
            return None

    # -- files -------------------------------------------------------------------------------
    def read_file(self, attachment: Attachment) -> bytes:
        """The attachment's file. Local API: straight from `storage/` when the data dir is known
        (pyzotero cannot follow the local API's file:// redirect on 127.0.0.1)."""
        if self.local and self.data_dir and attachment.filename:
            candidate = self.data_dir / "storage" / attachment.key / Path(attachment.filename).name
            if candidate.is_file():
                return candidate.read_bytes()
        data = self.call(f"downloading {attachment.key}", self.zot.file, attachment.key)
        return data if isinstance(data, bytes) else json.dumps(data).encode()

    # -- writes --------------------------------------------------------------------------------
    def create_collection(self, name: str) -> str:
        result = self.call("creating a collection", self.zot.create_collections, [{"name": name}])
        return _created_keys(result)[0]

    def create_items(self, items: list[dict[str, Any]]) -> list[str]:
        return [key for key, _ in self.create_items_versioned(items)]

    def create_items_versioned(self, items: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
        """Create items; (key, version) of each, in order."""
        created: list[tuple[str, int | None]] = []
        for start in range(0, len(items), 50):
            result = self.call("creating items", self.zot.create_items, items[start:start + 50])
            created += _created(result)
        return created

    def update_items(self, items: list[dict[str, Any]]) -> dict[str, int | None]:
        """Partial updates (key + version + changed fields): POST acts as PATCH per object.
        Returns each updated key's new version."""
        versions: dict[str, int | None] = {}
        for start in range(0, len(items), 50):
            result = self.call("updating items", self.zot.create_items, items[start:start + 50])
            failed = (result or {}).get("failed") or {}
            if failed:
                first = next(iter(failed.values()))
                raise ZoteroError(f"Zotero refused {len(failed)} update(s): {first.get('message', first)}", "run `kb sync` and try again")
            versions.update(dict(_created(result)))
        return versions


def _created_keys(result: Any) -> list[str]:
    return [key for key, _ in _created(result)]


def _created(result: Any) -> list[tuple[str, int | None]]:
    """(key, version) per written object, in the order sent."""
    success = (result or {}).get("success") or {}
    successful = (result or {}).get("successful") or {}
    failed = (result or {}).get("failed") or {}
    if failed:
        first = next(iter(failed.values()))
        raise ZoteroError(f"Zotero refused to create {len(failed)} object(s): {first.get('message', first) if isinstance(first, dict) else first}")
    out = []
    for index in sorted(success, key=int):
        obj = successful.get(index) or {}
        version = obj.get("version") if isinstance(obj, dict) else None
        out.append((success[index], int(version) if version is not None else None))
    return out


