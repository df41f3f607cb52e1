"""Responses of the online sources, kept on disk so that the same id is fetched once (and a
later run works offline): <home>/cache/resolve/<source>-<key>.json."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from kb import atomic

TTL_S = 90 * 24 * 3600  # a paper's title and authors do not change; a quarter is fresh enough


class Cache:
    def __init__(self, folder: Path, ttl_s: float = TTL_S):
        self.folder = folder
        self.ttl_s = ttl_s

    def _path(self, source: str, key: str) -> Path:
        return self.folder / f"{source}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:20]}.json"

    def get(self, source: str, key: str) -> dict[str, Any] | None:
        path = self._path(source, key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if time.time() - entry.get("fetched_at", 0) > self.ttl_s:
            return None
        return entry.get("data")

    def put(self, source: str, key: str, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self._path(source, key), json.dumps({"key": key, "fetched_at": time.time(), "data": data}, ensure_ascii=False))
