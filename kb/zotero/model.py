"""One item model for every source. The web and local APIs speak Zotero's JSON; the SQLite
reader and the BibTeX/CSL-JSON reader build the same objects, so sync never asks where an item
came from."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from kb.papers import cjk_name, is_cjk, normalize_arxiv, normalize_doi

# Zotero's annotation types, by their name in the API and their number in zotero.sqlite.
ANNOTATION_TYPES = {1: "highlight", 2: "note", 3: "image", 4: "ink", 5: "underline", 6: "text"}
LINK_MODES = {0: "imported_file", 1: "imported_url", 2: "linked_file", 3: "linked_url", 4: "embedded_image"}
KEY_RE = re.compile(r"^[A-Z0-9]{8}$")
# zotero_items rows that are works (papers, books, ...), not their attachments, child notes or
# annotations: a SQL condition for queries on that table (optionally aliased, `z.` + ...).
REGULAR_ITEM = "item_type NOT IN ('attachment', 'annotation', 'note')"

# Fields that name where a work appeared, by item type; the first one present wins.
_VENUE_FIELDS = ("publicationTitle", "proceedingsTitle", "conferenceName", "bookTitle", "repository", "publisher", "university", "institution", "websiteTitle")
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# C0 and C1 control characters (newlines, ESC and CSI that start terminal escape sequences) and
# the rest of an ANSI escape sequence: a title or collection name is one line of plain text.
_CONTROL = re.compile(r"(?:\x1b\[[0-?]*[ -/]*[@-~])|(?:\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?)|[\x00-\x1f\x7f-\x9f]")


def clean_text(value: Any) -> str:
    """A server's or export's string as one safe line: escape sequences and control characters
    (newlines included) become a space, so no terminal or table can be driven by it."""
    return re.sub(r"\s{2,}", " ", _CONTROL.sub(" ", str(value or ""))).strip()


@dataclass
class Item:
    """A regular Zotero item (a paper, book, ...): metadata that becomes a row in `papers`."""

    key: str
    version: int
    item_type: str
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    url: str | None = None
    abstract: str | None = None
    tags: list[tuple[str, int]] = field(default_factory=list)  # (name, type)
    collections: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Attachment:
    key: str
    version: int
    parent_key: str | None
    filename: str | None
    content_type: str | None
    link_mode: str
    local_path: str | None = None  # a file the source can read directly (sqlite, bibtex, linked files)
    md5: str | None = None
    fulltext: str | None = None  # Zotero's own extracted text, when the source has it
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Annotation:
    key: str
    version: int
    parent_key: str  # the attachment
    type: str
    text: str | None = None
    comment: str | None = None
    color: str | None = None
    page_label: str | None = None
    page_index: int | None = None
    sort_index: str | None = None
    date_added: str | None = None
    date_modified: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Note:
    """A Zotero child note (HTML), imported into its paper's Markdown note."""

    key: str
    version: int
    parent_key: str
    html: str
    date_modified: str | None = None


@dataclass
class Collection:
    key: str
    name: str
    parent_key: str | None = None
    version: int = 0


@dataclass
class Batch:
    """What a source reports for one sync.

    `complete` means the listing holds every live object, so anything stored that is absent
    from it was deleted; otherwise only `deleted_*` name deletions.
    """

    library: str
    version: int
    items: list[Item] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    collections: list[Collection] = field(default_factory=list)
    deleted_items: list[str] = field(default_factory=list)
    deleted_collections: list[str] = field(default_factory=list)
    complete: bool = False
    warnings: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # parts of the listing that could not be read


def content_hash(obj: Any) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def creator_name(creator: dict[str, Any]) -> str:
    """A creator as Zotero shows it: "Given Family", and a Chinese, Japanese or Korean name
    family name first without a space (方明月, stored as lastName 方, firstName 明月)."""
    if creator.get("name"):
        return clean_text(creator["name"])
    first = clean_text(creator.get("firstName"))
    last = clean_text(creator.get("lastName"))
    if (is_cjk(first) or is_cjk(last)) and not any(ch.isascii() and ch.isalpha() for ch in first + last):
        return cjk_name(last, first)
    return " ".join(p for p in (first, last) if p)


def year_of(date: Any) -> int | None:
    match = _YEAR_RE.search(str(date or ""))
    return int(match.group(1)) if match else None


def doi_of(data: dict[str, Any]) -> str | None:
    """DOI field, else a `DOI: …` line in Extra (Zotero's way for types without a DOI field)."""
    doi = normalize_doi(data.get("DOI"))
    if doi:
        return doi
    for line in str(data.get("extra") or "").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "doi":
            return normalize_doi(value)
    return None


def arxiv_of(data: dict[str, Any]) -> str | None:
    """arXiv id from wherever Zotero keeps it: Archive ID, Extra, URL, the arXiv DOI, the journal."""
    for name in ("archiveID", "extra", "url", "DOI", "publicationTitle", "repository", "number"):
        value = str(data.get(name) or "")
        if "arxiv" in value.lower() or (name == "number" and data.get("itemType") == "preprint"):
            found = normalize_arxiv(re.sub(r"(?i)10\.48550/arxiv\.", "arXiv:", value))
            if found:
                return found
    return None


def item_from_data(data: dict[str, Any], version: int | None = None) -> Item:
    """A regular item from Zotero's JSON `data` (the API's shape; other sources build it too)."""
    creators = data.get("creators") or []
    authors = [creator_name(c) for c in creators if isinstance(c, dict) and c.get("creatorType", "author") == "author"]
    if not authors:
        authors = [creator_name(c) for c in creators if isinstance(c, dict)]
    venue = next((clean_text(data[f]) for f in _VENUE_FIELDS if clean_text(data.get(f))), None)
    tags = [(clean_text(t["tag"]), int(t.get("type") or 0)) for t in data.get("tags") or [] if isinstance(t, dict) and clean_text(t.get("tag"))]
    return Item(
        key=str(data["key"]), version=int(version if version is not None else data.get("version") or 0),
        item_type=str(data.get("itemType") or ""), title=clean_text(data.get("title")),
        authors=[a for a in authors if a], year=year_of(data.get("date")), venue=venue, doi=doi_of(data),
        arxiv_id=arxiv_of(data), url=str(data.get("url") or "") or None, abstract=str(data.get("abstractNote") or "") or None,
        tags=tags, collections=[str(c) for c in data.get("collections") or []], data=data,
    )


def attachment_from_data(data: dict[str, Any], version: int | None = None) -> Attachment:
    return Attachment(
        key=str(data["key"]), version=int(version if version is not None else data.get("version") or 0),
        parent_key=data.get("parentItem") or None, filename=data.get("filename") or None,
        content_type=data.get("contentType") or None, link_mode=str(data.get("linkMode") or ""),
        local_path=data.get("path") if data.get("linkMode") == "linked_file" else None, md5=data.get("md5"), data=data,
    )


def annotation_from_data(data: dict[str, Any], version: int | None = None) -> Annotation:
    position = data.get("annotationPosition")
    if isinstance(position, str):
        try:
            position = json.loads(position)
        except ValueError:
            position = {}
    page_index = position.get("pageIndex") if isinstance(position, dict) else None
    return Annotation(
        key=str(data["key"]), version=int(version if version is not None else data.get("version") or 0),
        parent_key=str(data.get("parentItem") or ""), type=str(data.get("annotationType") or "highlight"),
        text=data.get("annotationText") or None, comment=data.get("annotationComment") or None,
        color=data.get("annotationColor") or None, page_label=data.get("annotationPageLabel") or None,
        page_index=int(page_index) if isinstance(page_index, (int, float)) else None,
        sort_index=data.get("annotationSortIndex") or None, date_added=data.get("dateAdded"),
        date_modified=data.get("dateModified"), data=data,
    )


def classify(obj: dict[str, Any]) -> Item | Attachment | Annotation | Note | None:
    """One API object (`{key, version, data}` or bare data) as the model; standalone notes are skipped.

    Raises ValueError for an object that is not a usable Zotero item.
    """
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    data = obj.get("data", obj)
    if not isinstance(data, dict) or not isinstance(data.get("key"), str) or not data.get("itemType"):
        raise ValueError("no key or itemType")
    version = obj.get("version", data.get("version"))
    kind = data["itemType"]
    if kind == "attachment":
        return attachment_from_data(data, version)
    if kind == "annotation":
        return annotation_from_data(data, version)
    if kind == "note":
        parent = data.get("parentItem")
        if not parent:
            return None
        return Note(key=str(data["key"]), version=int(version or 0), parent_key=str(parent), html=str(data.get("note") or ""),
                    date_modified=data.get("dateModified"))
    return item_from_data(data, version)


def collection_from_api(obj: dict[str, Any]) -> Collection:
    data = obj.get("data", obj)
    parent = data.get("parentCollection")
    return Collection(key=str(data["key"]), name=clean_text(data.get("name")), parent_key=parent or None,
                      version=int(obj.get("version", data.get("version")) or 0))


def split_objects(objects: list[Any], batch: Batch) -> None:
    """Sort API objects into the batch; a malformed one becomes a warning, not a failure."""
    for obj in objects:
        try:
            found = classify(obj)
        except (ValueError, TypeError, KeyError) as exc:
            key = obj.get("key") if isinstance(obj, dict) else None
            batch.warnings.append(f"item {key or '?'}: skipped, malformed ({exc})")
            continue
        if isinstance(found, Item):
            batch.items.append(found)
        elif isinstance(found, Attachment):
            batch.attachments.append(found)
        elif isinstance(found, Annotation):
            batch.annotations.append(found)
        elif isinstance(found, Note):
            batch.notes.append(found)
