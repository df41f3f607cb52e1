"""The configured Zotero source, built from `[zotero]` in config.toml and the stored API key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from kb.zotero import credentials
from kb.zotero.errors import NotConfigured
from kb.zotero.model import Attachment, Batch

SOURCES = ("web", "local", "sqlite", "bibtex")


class Source(Protocol):
    kind: str

    @property
    def library(self) -> str: ...

    def fetch(self, since: int = 0) -> Batch: ...

    def read_file(self, attachment: Attachment) -> bytes: ...

    def close(self) -> None: ...


def open_source(home: Path, config: dict[str, Any]) -> Source:
    zc = config.get("zotero") or {}
    kind = zc.get("source") or ""
    if kind in ("web", "local"):
        from kb.zotero.web import RetryPolicy, WebSource

        policy = RetryPolicy(timeout_s=float(zc.get("timeout_s") or 30), attempts=max(1, int(zc.get("retries") or 1)),
                             backoff_s=float(zc.get("retry_backoff_s") or 0))
        if kind == "web":
            if not zc.get("library_id"):
                raise NotConfigured("the Zotero web library has no library id")
            key = credentials.require_api_key(home)
            return WebSource(library_id=zc["library_id"], library_type=zc.get("library_type") or "user", api_key=key,
                             endpoint=zc.get("endpoint") or None, policy=policy, data_dir=zc.get("data_dir") or None,
                             base_dir=zc.get("base_dir") or None)
        return WebSource(local=True, endpoint=zc.get("endpoint") or None, data_dir=zc.get("data_dir") or None, policy=policy,
                         base_dir=zc.get("base_dir") or None)
    if kind == "sqlite":
        from kb.zotero.sqlite_reader import SqliteSource

        if not zc.get("sqlite_path"):
            raise NotConfigured("no zotero.sqlite path is set")
        return SqliteSource(zc["sqlite_path"], data_dir=zc.get("data_dir") or None, base_dir=zc.get("base_dir") or None,
                            group=zc.get("group") or None)
    if kind == "bibtex":
        from kb.zotero.bibtex import BibtexSource

        if not zc.get("bibtex_path"):
            raise NotConfigured("no BibTeX / CSL-JSON file is set")
        import hashlib

        from kb import paths

        name = hashlib.sha1(str(Path(zc["bibtex_path"]).expanduser().resolve()).encode()).hexdigest()[:16]
        # Parsed entries are cached with the rebuildable indexes (never backed up).
        return BibtexSource(zc["bibtex_path"], cache_path=paths.index_dir(home) / "zotero-bibtex" / f"{name}.json")
    raise NotConfigured()
