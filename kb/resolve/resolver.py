"""Metadata for a paper id, offline first.

The catalog answers without a network. Only when the user allows it (config `resolve.online`,
or `--online`) are arXiv (arXiv ids), Crossref then OpenAlex (DOIs), Semantic Scholar (ACL
Anthology ids) and OpenReview's API 2 then API 1 (OpenReview ids) asked, each answer cached on disk and each host rate-limited. Offline, an id the
catalog does not know is refused with a hint, never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb import atomic, catalog
from kb import config as config_mod
from kb.errors import KbError, NotFound
from kb.resolve import sources
from kb.resolve.cache import Cache
from kb.resolve.fetch import FetchError, Fetcher
from kb.resolve.ids import PaperId
from kb.resolve.sources import Metadata

OFFLINE_HINT = "allow the network for this with --online, or always with `kb config resolve.online true`"


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    # arXiv's API terms ask for one request every three seconds (arxiv_interval_s); Crossref's and
    # OpenAlex's "polite pool" wants a mailto address
    return {**config_mod.DEFAULTS["resolve"], **(config.get("resolve") or {})}


class Resolver:
    def __init__(self, home: Path, config: dict[str, Any], *, online: bool | None = None, fetcher: Fetcher | None = None):
        cfg = _settings(config)
        self.cfg = cfg
        self.online = bool(cfg["online"]) if online is None else online
        self.cache = Cache(Path(home) / "cache" / "resolve")
        arxiv_host = urlsplit(cfg["arxiv_url"]).netloc
        self.fetcher = fetcher or Fetcher(
            timeout_s=float(cfg["timeout_s"]), default_interval_s=float(cfg["min_interval_s"]),
            intervals={arxiv_host: float(cfg["arxiv_interval_s"])},
            user_agent="paper-kb/0.1" + (f" (mailto:{cfg['mailto']})" if cfg["mailto"] else ""),
        )

    # -- offline ------------------------------------------------------------------------------
    def offline(self, pid: PaperId) -> Metadata | None:
        """What the catalog and the id itself tell, without a network."""
        entry = None
        if pid.kind == "arxiv":
            entry = catalog.lookup(arxiv_id=pid.value)
        elif pid.kind == "doi":
            entry = catalog.lookup(doi=pid.value)
        if entry is None:
            return None
        meta = Metadata(title=entry.title, authors=list(entry.authors), year=entry.year, venue=entry.venue,
                        arxiv_id=entry.arxiv_id, doi=entry.doi, source="catalog")
        meta.pdf_url = self.known_pdf(pid, meta)
        return meta

    @staticmethod
    def known_pdf(pid: PaperId, meta: Metadata | None = None) -> str | None:
        """Where the open-access PDF is, when the id alone says so (arXiv, the ACL Anthology)."""
        arxiv = pid.value if pid.kind == "arxiv" else (meta.arxiv_id if meta else None)
        if arxiv:
            return f"https://arxiv.org/pdf/{arxiv}"
        if pid.kind == "acl":
            return f"https://aclanthology.org/{pid.value}.pdf"
        return None

    # -- online -------------------------------------------------------------------------------
    def resolve(self, pid: PaperId) -> Metadata:
        meta = self.offline(pid)
        if meta is not None:
            return meta
        if pid.kind == "pdf_url":
            return Metadata(pdf_url=pid.value, source="link")
        if not self.online:
            raise NotFound(f"{pid} is not in the offline catalog", OFFLINE_HINT)
        if pid.kind == "arxiv":
            meta = self._cached("arxiv", pid.value, lambda: sources.parse_arxiv(
                self.fetcher.get(sources.arxiv_url(self.cfg["arxiv_url"], pid.value), accept="application/atom+xml", what=str(pid)), pid.value))
        elif pid.kind == "doi":
            meta = self._first(pid, [
                ("crossref", lambda: sources.parse_crossref(self.fetcher.get(sources.crossref_url(self.cfg["crossref_url"], pid.value, self.cfg["mailto"]), what=str(pid)))),
                ("openalex", lambda: sources.parse_openalex(self.fetcher.get(sources.openalex_url(self.cfg["openalex_url"], pid.value, self.cfg["mailto"]), what=str(pid)))),
            ])
        elif pid.kind == "acl":
            meta = self._s2(pid)
        elif pid.kind == "openreview":
            meta = self._first(pid, [
                (f"openreview-{api}", lambda url=url: sources.parse_openreview(
                    self.fetcher.get(sources.openreview_url(url, pid.value), what=str(pid)), pid.value))
                for api, url in (("v2", self.cfg["openreview_url"]), ("v1", self.cfg["openreview_v1_url"]))])
        else:
            raise NotFound(f"{pid} cannot be looked up online", "give the paper's arXiv id or DOI instead")
        if meta is None:
            raise NotFound(f"no source knows {pid}", "check the id")
        meta.pdf_url = meta.pdf_url or self.known_pdf(pid, meta)
        return meta

    def _s2(self, pid: PaperId) -> Metadata | None:
        return self._cached("semanticscholar", str(pid), lambda: sources.parse_s2(
            self.fetcher.get(sources.s2_url(self.cfg["semanticscholar_url"], pid), what=str(pid))))

    def _first(self, pid: PaperId, attempts) -> Metadata | None:
        """The first source that knows the id; a source that fails is passed over, and if all fail
        the first failure is what the user sees."""
        first_error: KbError | None = None
        for source, call in attempts:
            try:
                meta = self._cached(source, pid.value, call)
            except KbError as exc:
                first_error = first_error or exc
                continue
            if meta is not None:
                return meta
        if first_error is not None:
            raise first_error
        return None

    def _cached(self, source: str, key: str, call) -> Metadata | None:
        hit = self.cache.get(source, key)
        if hit is not None:
            return Metadata(**hit) if hit.get("title") else None
        meta = call()
        # a "not known" answer is cached too, so a missing paper is not asked for again and again
        self.cache.put(source, key, meta.to_dict() if meta else {"title": None})
        return meta

    # -- the PDF ------------------------------------------------------------------------------
    def download_pdf(self, url: str, dest: Path) -> Path:
        if not self.online:
            raise KbError(f"downloading {url} needs the network", OFFLINE_HINT)
        data = self.fetcher.get(url, accept="application/pdf", what=url)
        if not data.startswith(b"%PDF"):
            raise FetchError(f"{url} did not return a PDF", "the paper may not be open access; add the PDF by hand with `kb add FILE.pdf`")
        dest.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(dest, data)
        return dest


def pdf_name(meta: Metadata, fallback: str) -> str:
    base = meta.arxiv_id or meta.doi or fallback
    return re.sub(r"[^\w.\-]+", "_", base).strip("_")[:80] + ".pdf"
