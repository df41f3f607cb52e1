"""The Zotero web API and Zotero's local API (Zotero 7+), both through pyzotero.

pyzotero waits out 429 `Backoff`/`Retry-After` itself; this module adds what a sync needs on
top: every request bounded in time (a wall-clock deadline, not only a per-read timeout, so a
server dripping one byte at a time cannot hold it) and in size (counted after decompression, so
a gzip bomb cannot fill memory); a wait the server asks for beyond `max_wait_s` (`Backoff:
86400`) ends the sync with a message instead of sleeping a day, and `Retry-After` may be an HTTP
date; bounded retries with backoff for 5xx and network failures; page-by-page listing in which a
page that cannot be read leaves the library version where it was (the next sync asks again) and
stops deletions being inferred; a lying `Total-Results` or a page served again ends the listing;
user-facing errors that never carry the API key.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
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
    deadline_s: float | None = None  # a whole request, headers to last byte (default: 10 × timeout_s, 5 min)
    max_bytes: int = 512 * 2**20  # one response, decompressed (a PDF can be large; a JSON page is not)
    max_wait_s: float = 300.0  # the longest Backoff / Retry-After waited out
    max_objects: int = 2_000_000  # more than any real library: a listing past this is a lying server


class ServerTooSlow(Exception):
    """A response that broke a bound (time, size, wait asked for): never retried."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Backoff` / `Retry-After` in seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class _CountingClient(httpx2.Client):
    """Applies our bounds to every request (pyzotero passes its own timeout) and counts requests."""

    def __init__(self, policy: RetryPolicy, **kwargs: Any):
        super().__init__(timeout=policy.timeout_s, follow_redirects=True, **kwargs)
        self.policy = policy
        self.timeout_s = policy.timeout_s
        self.requests = 0

    def request(self, method: str, url: Any, **kwargs: Any) -> httpx2.Response:  # type: ignore[override]
        """One request, headers to last byte, within the deadline: it runs in a worker thread so
        that a server dripping its *headers* (where only the per-read timeout would apply) is cut
        off too. A request cut off is left to end on its own read timeout."""
        kwargs["timeout"] = self.timeout_s
        self.requests += 1
        limit = self.policy.deadline_s or 10 * self.timeout_s
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["response"] = self._read_bounded(method, url, kwargs, time.monotonic() + limit, limit)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="kb-zotero-request", daemon=True)
        worker.start()
        worker.join(limit + 0.2)
        if worker.is_alive():
            raise ServerTooSlow(f"the answer to {httpx2.URL(str(url)).path} took longer than {limit:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]

    def _read_bounded(self, method: str, url: Any, kwargs: dict[str, Any], deadline: float, limit: float) -> httpx2.Response:
        request = self.build_request(method, url, **{k: v for k, v in kwargs.items() if k in
                                                      ("content", "data", "files", "json", "params", "headers", "cookies", "timeout", "extensions")})
        response = self.send(request, stream=True, follow_redirects=kwargs.get("follow_redirects", True))
        try:
            body = bytearray()
            for chunk in response.iter_bytes():  # decompressed: the bound holds for a gzip bomb
                body += chunk
                if len(body) > self.policy.max_bytes:
                    raise ServerTooSlow(f"the answer to {request.url.path} is larger than {self.policy.max_bytes // 2**20} MiB")
                if time.monotonic() > deadline:
                    raise ServerTooSlow(f"the answer to {request.url.path} took longer than {limit:g} s")
        finally:
            response.close()
        response._content = bytes(body)
        self._bound_wait(response)
        return response

    def _bound_wait(self, response: httpx2.Response) -> None:
        """A wait the server asks for: in seconds for pyzotero (which cannot read an HTTP date),
        and an error when it is longer than we would wait."""
        for name in ("Backoff", "Retry-After"):
            raw = response.headers.get(name)
            if raw is None:
                continue
            seconds = retry_after_seconds(raw)
            if seconds is None:
                del response.headers[name]
                continue
            if seconds > self.policy.max_wait_s:
                hours = f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"
                raise ServerTooSlow(f"the server asks to wait {hours} before the next request ({name}: {raw})")
            response.headers[name] = str(round(seconds, 3))


class WebSource:
    """A Zotero library over HTTP: the web API (`local=False`) or the local API (`local=True`)."""

    def __init__(self, *, library_id: str | int = 0, library_type: str = "user", api_key: str | None = None,
                 endpoint: str | None = None, local: bool = False, data_dir: str | Path | None = None,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 base_dir: str | Path | None = None):
        self.local = local
        self.kind = "local" if local else "web"
        self.library_type = library_type if library_type in ("user", "group") else "user"
        self.library_id = str(library_id or 0)
        self.policy = policy or RetryPolicy()
        self.data_dir = Path(data_dir).expanduser() if data_dir else None
        self._sleep = sleep
        self._http = _CountingClient(self.policy, trust_env=not local)
        self.base_dir = Path(base_dir).expanduser() if base_dir else None
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
            except ServerTooSlow as exc:
                raise Unreachable(f"{what}: {exc.message}", "try again later; nothing stored was changed") from None
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
        version = self.call("reading the library version", self.zot.last_modified_version)
        incremental = since > 0 and self.has_library_versions()
        warnings = []
        if incremental and version < since:
            # A library restored from a backup: its versions went back; `since` would miss what
            # changed between. Read everything; the lower version is stored after that.
            incremental = False
            warnings.append(f"the library's version went back from {since} to {version} (restored on the server?); "
                            "everything was read again")
        since = since if incremental else 0
        batch = Batch(library=self.library, version=version, complete=not incremental, warnings=warnings)
        params: dict[str, Any] = {"since": since} if incremental else {}
        objects = self._pages("listing items", self.zot.items, batch, includeTrashed=1 if incremental else 0, **params)
        trashed = [o for o in objects if isinstance(o, dict) and isinstance(o.get("data"), dict) and o["data"].get("deleted")]
        batch.deleted_items += [o["key"] for o in trashed]
        split_objects([o for o in objects if o not in trashed], batch)
        self._confine_linked_files(batch)
        for obj in self._pages("listing collections", self.zot.collections, batch, **params):
            try:
                if isinstance(obj, dict) and isinstance(obj.get("data"), dict) and obj["data"].get("deleted"):
                    batch.deleted_collections.append(str(obj["data"]["key"]))  # in Zotero's trash
                    continue
                batch.collections.append(collection_from_api(obj))
            except (KeyError, TypeError, AttributeError, ValueError):
                batch.warnings.append("a collection was skipped: malformed")
        if incremental:
            deleted = self.call("listing deletions", self.zot.deleted, since=since)
            batch.deleted_items += [str(k) for k in (deleted or {}).get("items", [])]
            batch.deleted_collections += [str(k) for k in (deleted or {}).get("collections", [])]
        return batch

    def _confine_linked_files(self, batch: Batch) -> None:
        """A linked file's path comes from the server: it is read only inside the user's Zotero
        storage or base directory, never elsewhere (a server could otherwise make kb index any PDF)."""
        roots = [r.resolve() for r in (self.data_dir, self.base_dir) if r is not None]
        for attachment in batch.attachments:
            if attachment.link_mode != "linked_file" or not attachment.local_path:
                continue
            raw = str(attachment.local_path)
            if raw.startswith("attachments:") and self.base_dir is not None:  # relative to the base directory
                raw = str(self.base_dir / raw[len("attachments:"):])
            path = Path(raw)
            try:
                resolved = path.expanduser().resolve()
            except (OSError, RuntimeError):
                resolved = None
            if resolved is not None and path.is_absolute() and any(resolved.is_relative_to(root) for root in roots):
                attachment.local_path = str(resolved)
                continue
            attachment.local_path = None
            batch.warnings.append(f"attachment {attachment.key}: its linked file is outside Zotero's storage and base "
                                  "directory, so it is not read (set `kb config zotero.base_dir` if it is yours)")

    def _pages(self, what: str, method: Callable[..., Any], batch: Batch, **params: Any) -> list[Any]:
        """All pages of a listing, by `start`/`limit`. A page that cannot be read, or is not a
        list, is marked on the batch (it is then incomplete: the stored version stays and no
        deletion is inferred); a short page ends the listing whatever `Total-Results` says; a page
        of objects already seen (a server ignoring `start`) ends it too."""
        out: list[Any] = []
        seen: set[str] = set()
        start = 0
        total: int | None = None
        while True:
            readable = True
            try:
                page = self.call(what, method, start=start, limit=PAGE_SIZE, **params)
            except Unreachable as exc:
                if start == 0:
                    raise
                batch.incomplete.append(f"{what}: the page at {start} could not be read ({exc.message})")
                page, readable = None, False
            if readable and not isinstance(page, list):
                batch.incomplete.append(f"{what}: the page at {start} is not a list of objects ({_content_type(self.zot.request)})")
                page, readable = None, False
            page = page or []
            keys = {str(o.get("key")) for o in page if isinstance(o, dict)}
            if keys and keys <= seen:
                batch.incomplete.append(f"{what}: the server sent the objects at {start} again; the listing was stopped")
                return out
            seen |= keys
            out.extend(page)
            total = self._total() if readable else total
            start += PAGE_SIZE
            if total is None or start >= total or (readable and len(page) < PAGE_SIZE):
                return out
            if start >= self.policy.max_objects or len(batch.incomplete) > 3:
                batch.incomplete.append(f"{what}: stopped at {start} of the {total} objects the server claims")
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


def _content_type(response: Any) -> str:
    return f"Content-Type {response.headers.get('Content-Type', '?')}" if response is not None else "no answer"


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


