"""Zotero failures the user can act on."""

from __future__ import annotations

from kb.errors import KbError


class ZoteroError(KbError):
    exit_code = 7


class NotConfigured(ZoteroError):
    def __init__(self, message: str = "no Zotero library is set up"):
        super().__init__(message, "run `kb zotero setup` (--api-key/--library-id, --local, --sqlite PATH or --bibtex FILE)")


class AccessDenied(ZoteroError):
    pass


class LibraryNotFound(ZoteroError):
    pass


class Unreachable(ZoteroError):
    pass


class ReadOnly(ZoteroError):
    pass
