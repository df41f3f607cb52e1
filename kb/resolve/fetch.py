"""HTTP GET for the online sources: a timeout, a polite User-Agent, a minimum interval between
requests to one host (arXiv asks for one request every three seconds), and one clear error."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kb.errors import KbError


class FetchError(KbError):
    """The network was allowed but the source did not answer usefully."""


class Fetcher:
    def __init__(self, *, timeout_s: float = 15.0, intervals: dict[str, float] | None = None, default_interval_s: float = 1.0,
                 user_agent: str = "paper-kb/0.1", max_bytes: int = 64 * 1024 * 1024):
        self.timeout_s = timeout_s
        self.intervals = dict(intervals or {})
        self.default_interval_s = default_interval_s
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self._last: dict[str, float] = {}
        self._unreachable: dict[str, FetchError] = {}  # a host that did not answer is not waited on again this run
        self._lock = threading.Lock()
        self.requests = 0  # how many went out (tests and `--json` report it)

    def _wait_turn(self, host: str) -> None:
        interval = self.intervals.get(host, self.default_interval_s)
        with self._lock:
            now = time.monotonic()
            due = self._last.get(host, 0.0) + interval
            if due > now:
                time.sleep(due - now)
            self._last[host] = time.monotonic()

    def get(self, url: str, *, accept: str = "application/json", what: str = "") -> bytes:
        host = urlsplit(url).netloc
        if host in self._unreachable:
            raise self._unreachable[host]
        self._wait_turn(host)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": accept})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 (http(s) URLs from config only)
                data = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise FetchError(f"{what or host} does not know it (HTTP 404)") from exc
            if exc.code == 429:
                raise FetchError(f"{host} asks us to slow down (HTTP 429)", "try again in a minute") from exc
            raise FetchError(f"{host} answered HTTP {exc.code}", "try again later") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = FetchError(f"could not reach {host}: {reason}", "check the connection; offline, only the catalog is used")
            self._unreachable[host] = error
            raise error from exc
        if len(data) > self.max_bytes:
            raise FetchError(f"{host} sent more than {self.max_bytes // 1024 // 1024} MB for {what or url}")
        return data
