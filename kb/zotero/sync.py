"""Incremental sync of one Zotero library into the store.

Per library the last fully applied version is kept; a sync asks the source for what changed
since then. Each item is applied in its own transaction and the library version moves only
after everything was applied, so an interrupted sync leaves no half-written item and the next
run fetches the same range again (unchanged items are recognised by their content hash and
skipped). A bad item, attachment or annotation becomes a warning; the rest goes on.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb import papers, titles
from kb.errors import KbError
from kb.store import Store
from kb.zotero.errors import LibraryNotFound
from kb.zotero.files import MissingFile, UnsafeFile, check_pdf, store_download
from kb.zotero.model import REGULAR_ITEM, Annotation, Attachment, Batch, Item, Note, attachment_from_data, content_hash
from kb.zotero.sources import Source


@dataclass
class SyncReport:
    library: str
    source: str
    version: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    files: int = 0
    annotations: int = 0
    notes: int = 0
    missing_files: list[str] = field(default_factory=list)  # attachment files not there yet, by name
    fulltext: int = 0
    requests: int | None = None
    warnings: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # titles of items given back their own paper (_split_old_merges)
    incomplete: list[str] = field(default_factory=list)
    matching: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def library_version(store: Store, library: str) -> int:
    return int(store.scalar("SELECT version FROM zotero_libraries WHERE id = ?", (library,)) or 0)


def sync(store: Store, source: Source, *, files: bool = True, match: bool = True) -> SyncReport:
    library = source.library
    report = SyncReport(library=library, source=source.kind)
    _guard(report, "the papers an older version merged", _split_old_merges, store, library, report)
    since = library_version(store, library)
    batch = source.fetch(since)
    report.warnings += batch.warnings
    if batch.incomplete:
        # Part of the listing is missing: apply what came, infer no deletion, keep the version
        # (the next sync asks for the same range again).
        batch.complete, batch.version = False, 0
        report.incomplete = list(batch.incomplete)
    for item in batch.items:
        _guard(report, f"item {item.key}", _apply_item, store, library, item, report)
    _apply_collections(store, library, batch)
    for attachment in batch.attachments:
        _guard(report, f"attachment {attachment.key}", _apply_attachment, store, source, library, attachment, report, files)
    for annotation in batch.annotations:
        _guard(report, f"annotation {annotation.key}", _apply_annotation, store, library, annotation, report)
    for note in batch.notes:
        _guard(report, f"note {note.key}", _apply_note, store, library, note, report)
    if files and source.kind == "local":
        _fetch_missing_files(store, source, library, batch, report)
    if report.missing_files:
        named = ", ".join(report.missing_files[:3]) + (", …" if len(report.missing_files) > 3 else "")
        report.warnings.append(f"{len(report.missing_files)} attachment file(s) are not available yet ({named}): not downloaded by "
                               "Zotero, or not on the server; their annotations are kept and the files are fetched on a later `kb sync`")
    _apply_deletions(store, library, batch, report)
    with store.tx():
        store.execute(
            "INSERT INTO zotero_libraries (id, source, version, synced_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET source = excluded.source, synced_at = excluded.synced_at, "
            "version = CASE WHEN excluded.version > 0 THEN excluded.version ELSE version END",
            (library, source.kind, batch.version, papers.now_iso()),
        )
    report.version = library_version(store, library)
    report.requests = getattr(source, "requests", None)
    if match:
        from kb.zotero.match import match_plan_items

        report.matching = match_plan_items(store).counts()
    return report


def _guard(report: SyncReport, what: str, fn: Any, *args: Any) -> None:
    """Apply one object; a failure is that object's warning, never the sync's end."""
    try:
        fn(*args)
    except UnsafeFile as exc:
        report.warnings.append(f"{what}: {exc}")
    except KbError as exc:
        report.warnings.append(f"{what}: {exc.message}")
    except (OSError, ValueError, TypeError, KeyError, sqlite3.IntegrityError) as exc:
        report.warnings.append(f"{what}: skipped ({type(exc).__name__}: {exc})")


def _stored(store: Store, library: str, key: str) -> sqlite3.Row | None:
    return store.one("SELECT * FROM zotero_items WHERE library = ? AND key = ?", (library, key))


def _save_row(store: Store, library: str, key: str, version: int, kind: str, parent: str | None, paper_id: int | None,
              digest: str, data: dict, *, title: str | None = None, doi: str | None = None, arxiv_id: str | None = None,
              file_path: str | None = None) -> None:
    store.execute(
        "INSERT INTO zotero_items (library, key, version, item_type, parent_key, paper_id, title, doi, arxiv_id, content_hash, data, file_path) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (library, key) DO UPDATE SET version = excluded.version, "
        "item_type = excluded.item_type, parent_key = excluded.parent_key, paper_id = excluded.paper_id, title = excluded.title, "
        "doi = excluded.doi, arxiv_id = excluded.arxiv_id, content_hash = excluded.content_hash, data = excluded.data, "
        "file_path = COALESCE(excluded.file_path, file_path)",
        (library, key, version, kind, parent, paper_id, title, doi, arxiv_id, digest, json.dumps(data, ensure_ascii=False, default=str), file_path),
    )


# -- regular items ---------------------------------------------------------------------------
def _apply_item(store: Store, library: str, item: Item, report: SyncReport) -> None:
    if not item.title:
        raise KbError("skipped, it has no title")
    digest = content_hash(item.data)
    row = _stored(store, library, item.key)
    if row is not None and row["content_hash"] == digest and row["paper_id"] is not None:
        report.unchanged += 1
        return
    with store.tx():
        fields = _fields(item)
        paper_id = _paper_for(store, library, item, fields, row)
        _link_paper(store, paper_id, library, item.key)
        _save_row(store, library, item.key, item.version, item.item_type, None, paper_id, digest, item.data,
                  title=item.title, doi=item.doi, arxiv_id=item.arxiv_id)
        store.execute("DELETE FROM zotero_tags WHERE library = ? AND item_key = ?", (library, item.key))
        store.conn.executemany("INSERT OR IGNORE INTO zotero_tags (library, item_key, tag, type) VALUES (?, ?, ?, ?)",
                               [(library, item.key, name, kind) for name, kind in item.tags])
        store.execute("DELETE FROM zotero_collection_items WHERE library = ? AND item_key = ?", (library, item.key))
        store.conn.executemany("INSERT OR IGNORE INTO zotero_collection_items (library, collection_key, item_key) VALUES (?, ?, ?)",
                               [(library, c, item.key) for c in item.collections])
    if row is None:
        report.added += 1
    else:
        report.updated += 1


def _paper_for(store: Store, library: str, item: Item, fields: dict[str, Any], row: sqlite3.Row | None) -> int:
    """The paper this item is: the one it is linked to, a new one, or a stored one it matches."""
    if row is not None and row["paper_id"] is not None:
        return _update_paper(store, row["paper_id"], item.title, fields)
    decision = _match_decision(store, library, item)
    if decision == "new":
        return _create_paper(store, item.title, fields)
    # A second Zotero item of one paper fills in only what the paper lacks (the most complete
    # record wins); a plan's or a PDF's paper takes Zotero's metadata.
    paper, _ = papers.upsert(store, title=item.title, source="zotero", overwrite=decision == "merge", **fields)
    return paper.id


def _match_decision(store: Store, library: str, item: Item) -> str:
    """"new" when no stored paper is this work; "duplicate" when another live Zotero item holds
    the paper and both share an identifier *and* a title (Zotero's true duplicates); "merge" for
    a paper from a plan, a PDF, or the same title in another library.

    Two Zotero items are two works unless an identifier and the title both say otherwise: a DOI
    alone does not merge them (a DOI cut short, or one DOI pasted into several items, would fold
    several papers into one), nor does a title alone ("Sherlock Holmes" the artwork is not
    "Sherlock Holmes in Babylon")."""
    found = papers.find_match(store, title=item.title, arxiv_id=item.arxiv_id, doi=item.doi)
    if found is None:
        return "new"
    if not found.zotero_key or found.zotero_key == item.key:
        return "merge"
    if store.one("SELECT 1 FROM zotero_items WHERE library = ? AND key = ?", (found.zotero_library, found.zotero_key)) is None:
        return "merge"  # the paper's item was deleted from Zotero: this one takes it over
    if _same_work(item, found):
        return "duplicate"
    if _same_title(item.title, found.title) and found.zotero_library != library:
        return "merge"  # one paper in two libraries (the user's and a group's)
    return "new"


def _same_title(a: str, b: str) -> bool:
    return titles.similarity(titles.normalize(a), titles.normalize(b)) >= titles.MATCH_THRESHOLD


def _same_work(a: Any, b: Any) -> bool:
    """Zotero's true duplicates: a DOI or an arXiv id in common, and the same title."""
    same_id = bool((a.doi and a.doi == b.doi) or (a.arxiv_id and a.arxiv_id == b.arxiv_id))
    return same_id and _same_title(a.title, b.title)


def _split_old_merges(store: Store, library: str, report: SyncReport) -> None:
    """Give each Zotero item back its own paper where an older version folded several works into
    one (it cut DOIs at "(", so "10.1016/S0092-8674(00)80012-3" and "…(00)80013-5" matched).

    The items of a paper are read again as they are stored; one that _match_decision would not
    have joined to the paper's first item gets a new paper, with its attachments, their
    annotations and Zotero's full text. The paper keeps its first item and everything the user
    made (note, cards, reviews, status, runs), and takes its own identifiers again. What was
    read from the PDFs of both papers is dropped, so the next `kb index` reads each PDF for
    its own paper."""
    from kb import fulltext
    from kb.zotero.model import item_from_data

    groups = store.all(f"SELECT paper_id FROM zotero_items WHERE library = ? AND {REGULAR_ITEM} AND paper_id IS NOT NULL "
                       "GROUP BY paper_id HAVING count(*) > 1", (library,))
    for group in groups:
        paper_id = group["paper_id"]
        first_key = store.scalar("SELECT zotero_key FROM papers WHERE id = ?", (paper_id,))
        rows = store.all(f"SELECT key, version, data FROM zotero_items WHERE library = ? AND paper_id = ? AND {REGULAR_ITEM} "
                         "ORDER BY key = ? DESC, key", (library, paper_id, first_key))
        items = [item_from_data(json.loads(r["data"]), r["version"]) for r in rows]
        first = items[0]
        others = [item for item in items[1:] if item.title and not _same_work(item, first)]
        if not others:
            continue
        with store.tx():
            _update_paper(store, paper_id, first.title, _fields(first))
            for item in others:
                _give_own_paper(store, library, paper_id, item)
                report.split.append(item.title)
            fulltext.forget(store, paper_id)
    if report.split:
        report.warnings.append(f"{len(report.split)} paper(s) that an older version had merged with another by a DOI cut at "
                               "'(' have their own entry again; run `kb index` to read their PDFs for each: "
                               + "; ".join(report.split[:3]) + ("; …" if len(report.split) > 3 else ""))


def _give_own_paper(store: Store, library: str, old_paper: int, item: Item) -> None:
    new_paper = _create_paper(store, item.title, _fields(item))
    _link_paper(store, new_paper, library, item.key)
    store.execute("UPDATE zotero_items SET paper_id = ?, doi = ?, arxiv_id = ? WHERE library = ? AND key = ?",
                  (new_paper, item.doi, item.arxiv_id, library, item.key))
    children = [r["key"] for r in store.all("SELECT key FROM zotero_items WHERE library = ? AND parent_key = ?", (library, item.key))]
    below = [r["key"] for r in store.all("SELECT key FROM zotero_items WHERE library = ? AND parent_key IN "
                                         "(SELECT value FROM json_each(?))", (library, json.dumps(children)))]
    moved = json.dumps(children + below)
    store.execute("UPDATE zotero_items SET paper_id = ? WHERE library = ? AND key IN (SELECT value FROM json_each(?))",
                  (new_paper, library, moved))
    store.execute("UPDATE annotations SET paper_id = ? WHERE library = ? AND attachment_key IN (SELECT value FROM json_each(?))",
                  (new_paper, library, json.dumps(children)))
    store.execute("UPDATE zotero_fulltext SET paper_id = ? WHERE library = ? AND attachment_key IN (SELECT value FROM json_each(?))",
                  (new_paper, library, json.dumps(children)))
    store.execute("UPDATE attachments SET paper_id = ? WHERE paper_id = ? AND zotero_key IN (SELECT value FROM json_each(?))",
                  (new_paper, old_paper, json.dumps(children)))
    # Both papers' PDFs are read again by the next `kb index` (a size it cannot have: "changed").
    store.execute("UPDATE index_state SET size = -1 WHERE attachment_id IN (SELECT id FROM attachments WHERE paper_id IN (?, ?))",
                  (old_paper, new_paper))


def _fields(item: Item) -> dict[str, Any]:
    return dict(authors=item.authors, year=item.year, venue=item.venue, arxiv_id=item.arxiv_id, doi=item.doi,
                abstract=item.abstract, url=item.url)


def _create_paper(store: Store, title: str, fields: dict[str, Any]) -> int:
    return papers.create(store, title=title, source="zotero", **fields)


def _update_paper(store: Store, paper_id: int, title: str, fields: dict[str, Any]) -> int:
    """An item already linked to a paper: Zotero's edit wins, even one that changes the title."""
    papers.replace_fields(store, paper_id, title=title, **fields)
    return paper_id


def _link_paper(store: Store, paper_id: int, library: str, key: str) -> None:
    current = store.one("SELECT zotero_key, zotero_library FROM papers WHERE id = ?", (paper_id,))
    if current and current["zotero_key"] == key and current["zotero_library"] == library:
        return
    if current and current["zotero_key"] and store.one(
        "SELECT 1 FROM zotero_items WHERE library = ? AND key = ?", (current["zotero_library"], current["zotero_key"])
    ) and current["zotero_key"] != key:
        return  # a duplicate item in Zotero: the paper keeps its first item
    store.execute("UPDATE papers SET zotero_key = NULL, zotero_library = NULL WHERE zotero_library = ? AND zotero_key = ? AND id != ?",
                  (library, key, paper_id))
    store.execute("UPDATE papers SET zotero_key = ?, zotero_library = ? WHERE id = ?", (key, library, paper_id))


# -- collections --------------------------------------------------------------------------------
def _apply_collections(store: Store, library: str, batch: Batch) -> None:
    with store.tx():
        for c in batch.collections:
            store.execute(
                "INSERT INTO zotero_collections (library, key, name, parent_key, version) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (library, key) DO UPDATE SET name = excluded.name, parent_key = excluded.parent_key, version = excluded.version",
                (library, c.key, c.name, c.parent_key, c.version),
            )
        gone = list(batch.deleted_collections)
        if batch.complete:
            live = {c.key for c in batch.collections}
            gone += [r["key"] for r in store.all("SELECT key FROM zotero_collections WHERE library = ?", (library,)) if r["key"] not in live]
        for key in gone:
            store.execute("DELETE FROM zotero_collections WHERE library = ? AND key = ?", (library, key))
            store.execute("DELETE FROM zotero_collection_items WHERE library = ? AND collection_key = ?", (library, key))


# -- attachments ---------------------------------------------------------------------------------
def _is_pdf(attachment: Attachment) -> bool:
    return attachment.content_type == "application/pdf" or (attachment.filename or "").lower().endswith(".pdf")


def _apply_attachment(store: Store, source: Source, library: str, attachment: Attachment, report: SyncReport, files: bool) -> None:
    digest = content_hash([attachment.data, attachment.local_path, attachment.md5])
    row = _stored(store, library, attachment.key)
    have_file = row is not None and row["file_path"] and Path(row["file_path"]).is_file()
    standalone = not attachment.parent_key and _is_pdf(attachment)
    # A standalone PDF stored without its paper (by an older kb) is applied again to get one.
    settled = row is not None and (row["paper_id"] is not None or not standalone)
    if settled and row["content_hash"] == digest and (have_file or not files or not _is_pdf(attachment)):
        report.unchanged += 1
        return
    if standalone:
        paper_id = _standalone_paper(store, library, attachment, row, report)
    else:
        parent = _stored(store, library, attachment.parent_key) if attachment.parent_key else None
        paper_id = parent["paper_id"] if parent is not None else None
    file_path = None
    if files and paper_id is not None and _is_pdf(attachment) and attachment.link_mode != "linked_url":
        try:
            file_path = str(_fetch_file(store.home, source, attachment))
        except (MissingFile, LibraryNotFound, FileNotFoundError):
            report.missing_files.append(f"{attachment.key} {attachment.filename or ''}".strip())  # kept with its annotations; the file is asked for again next time
        except (UnsafeFile, OSError, KbError) as exc:
            report.warnings.append(f"attachment {attachment.key}: {getattr(exc, 'message', None) or exc}")
    with store.tx():
        _save_row(store, library, attachment.key, attachment.version, "attachment", attachment.parent_key, paper_id, digest,
                  attachment.data, title=attachment.filename, file_path=file_path)
        if file_path and paper_id is not None:
            papers.add_attachment(store, paper_id, file_path, zotero_key=attachment.key)
            report.files += 1
        if attachment.fulltext and paper_id is not None:
            store.execute("INSERT OR REPLACE INTO zotero_fulltext (library, attachment_key, paper_id, text) VALUES (?, ?, ?, ?)",
                          (library, attachment.key, paper_id, attachment.fulltext))
            report.fulltext += 1
    if paper_id is None and attachment.parent_key:
        report.warnings.append(f"attachment {attachment.key}: its parent item {attachment.parent_key} is unknown; kept without a paper")


def _standalone_paper(store: Store, library: str, attachment: Attachment, row: sqlite3.Row | None, report: SyncReport) -> int:
    """A PDF with no parent item (dragged into Zotero) is a paper of its own: its metadata is
    read from the PDF as `kb add` does, else Zotero's attachment title or the file name."""
    if row is not None and row["paper_id"] is not None:
        return row["paper_id"]
    meta = _pdf_metadata(attachment)
    title = meta.get("title") or _attachment_title(attachment)
    item = Item(key=attachment.key, version=attachment.version, item_type="attachment", title=title,
                authors=[papers.cjk_family_first(a) for a in meta.get("authors") or []], year=meta.get("year"), doi=meta.get("doi"), arxiv_id=meta.get("arxiv_id"))
    fields = dict(authors=item.authors, year=item.year, arxiv_id=item.arxiv_id, doi=item.doi, abstract=meta.get("abstract"))
    with store.tx():
        decision = _match_decision(store, library, item)
        if decision == "new":
            paper_id = _create_paper(store, title, fields)
        else:
            paper_id = papers.upsert(store, title=title, source="zotero", overwrite=False, **fields)[0].id
        _link_paper(store, paper_id, library, attachment.key)
    report.added += 1
    return paper_id


def _attachment_title(attachment: Attachment) -> str:
    title = str(attachment.data.get("title") or "").strip()
    if not title or title.lower() in ("full text pdf", "pdf", "preprint pdf", "submitted version", "accepted version"):
        title = attachment.filename or attachment.key
    return title[:-4] if title.lower().endswith(".pdf") else title


def _pdf_metadata(attachment: Attachment) -> dict[str, Any]:
    """Title, authors, year and identifiers from a local PDF (in a bounded child process)."""
    if not attachment.local_path or not Path(attachment.local_path).is_file():
        return {}
    from kb.pdf.errors import PdfError
    from kb.pdf.extract import extract

    try:
        meta = extract(attachment.local_path, timeout_s=60).metadata
    except PdfError:
        return {}
    return {"title": meta.title, "authors": meta.authors, "year": meta.year, "arxiv_id": meta.arxiv_id, "doi": meta.doi,
            "abstract": meta.abstract}


def _fetch_missing_files(store: Store, source: Source, library: str, batch: Batch, report: SyncReport) -> None:
    """Local API: files Zotero had not downloaded at an earlier sync ("download files as needed")
    are looked for again, though their attachment did not change. (On the web API an uploaded
    file changes its attachment's md5 and version, so the incremental listing brings it back;
    asking again for every WebDAV file that always answers 404 would cost a request each.
    zotero.sqlite and exports are listed whole every time.)"""
    listed = {a.key for a in batch.attachments}
    rows = store.all("SELECT key, paper_id, data FROM zotero_items WHERE library = ? AND item_type = 'attachment' "
                     "AND file_path IS NULL AND paper_id IS NOT NULL", (library,))
    for row in rows:
        if row["key"] in listed:
            continue
        attachment = attachment_from_data({**json.loads(row["data"] or "{}"), "key": row["key"]})
        # A linked file's path was checked when it was listed; a stored one is never read unchecked.
        if not _is_pdf(attachment) or attachment.link_mode in ("linked_url", "linked_file"):
            continue
        try:
            path = _fetch_file(store.home, source, attachment)
        except (MissingFile, LibraryNotFound, FileNotFoundError):
            report.missing_files.append(f"{attachment.key} {attachment.filename or ''}".strip())
            continue
        except (UnsafeFile, OSError, KbError) as exc:
            report.warnings.append(f"attachment {attachment.key}: {getattr(exc, 'message', None) or exc}")
            continue
        with store.tx():
            store.execute("UPDATE zotero_items SET file_path = ? WHERE library = ? AND key = ?", (str(path), library, attachment.key))
            papers.add_attachment(store, row["paper_id"], str(path), zotero_key=attachment.key)
        report.files += 1


def _fetch_file(home: Path, source: Source, attachment: Attachment) -> Path:
    """A local file is used where it lies (it is Zotero's); a remote one is downloaded."""
    if attachment.local_path:
        local = Path(attachment.local_path)
        if not local.is_file():
            raise MissingFile(f"the file {local} is missing")
        with local.open("rb") as fh:
            head = fh.read(1024)
        check_pdf(head if local.stat().st_size else b"", f"the file {local.name}")
        return local
    data = source.read_file(attachment)
    return store_download(home, attachment.key, attachment.filename, data)


# -- annotations -------------------------------------------------------------------------------------
def _apply_annotation(store: Store, library: str, note: Annotation, report: SyncReport) -> None:
    digest = content_hash(note.data)
    row = _stored(store, library, note.key)
    if row is not None and row["content_hash"] == digest:
        report.unchanged += 1
        return
    attachment = _stored(store, library, note.parent_key)
    paper_id = attachment["paper_id"] if attachment is not None else None
    if paper_id is None:
        raise KbError(f"skipped, its attachment {note.parent_key or '?'} belongs to no known paper")
    with store.tx():
        _save_row(store, library, note.key, note.version, "annotation", note.parent_key, paper_id, digest, note.data)
        store.execute(
            "INSERT INTO annotations (paper_id, library, zotero_key, attachment_key, type, text, comment, color, page_label, "
            "page_index, sort_index, date_added, date_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (library, zotero_key) DO UPDATE SET paper_id = excluded.paper_id, attachment_key = excluded.attachment_key, "
            "type = excluded.type, text = excluded.text, comment = excluded.comment, color = excluded.color, "
            "page_label = excluded.page_label, page_index = excluded.page_index, sort_index = excluded.sort_index, "
            "date_added = excluded.date_added, date_modified = excluded.date_modified",
            (paper_id, library, note.key, note.parent_key, note.type, note.text, note.comment, note.color, note.page_label,
             note.page_index, note.sort_index, note.date_added, note.date_modified),
        )
    report.annotations += 1


# -- child notes ---------------------------------------------------------------------------------------
def _apply_note(store: Store, library: str, note: Note, report: SyncReport) -> None:
    """A Zotero child note, kept as its HTML; `kb note` adds it to the paper's Markdown note."""
    data = {"note": note.html, "dateModified": note.date_modified}
    digest = content_hash(data)
    row = _stored(store, library, note.key)
    if row is not None and row["content_hash"] == digest and row["paper_id"] is not None:
        report.unchanged += 1
        return
    parent = _stored(store, library, note.parent_key)
    paper_id = parent["paper_id"] if parent is not None else None
    if paper_id is None:
        raise KbError(f"skipped, its parent item {note.parent_key or '?'} is no known paper")
    with store.tx():
        _save_row(store, library, note.key, note.version, "note", note.parent_key, paper_id, digest, data)
    report.notes += 1


# -- deletions ------------------------------------------------------------------------------------------
def _apply_deletions(store: Store, library: str, batch: Batch, report: SyncReport) -> None:
    gone = set(batch.deleted_items)
    if batch.complete:
        live = {o.key for o in (*batch.items, *batch.attachments, *batch.annotations, *batch.notes)}
        gone |= {r["key"] for r in store.all("SELECT key FROM zotero_items WHERE library = ?", (library,))} - live
    for key in sorted(gone):
        with store.tx():
            row = _stored(store, library, key)
            if row is None:
                continue
            # The paper, its notes and its files stay: only the link to Zotero goes.
            store.execute("UPDATE papers SET zotero_key = NULL, zotero_library = NULL WHERE zotero_library = ? AND zotero_key = ?", (library, key))
            store.execute("DELETE FROM annotations WHERE library = ? AND (zotero_key = ? OR attachment_key = ?)", (library, key, key))
            store.execute("DELETE FROM zotero_tags WHERE library = ? AND item_key = ?", (library, key))
            store.execute("DELETE FROM zotero_collection_items WHERE library = ? AND item_key = ?", (library, key))
            store.execute("DELETE FROM zotero_fulltext WHERE library = ? AND attachment_key = ?", (library, key))
            store.execute("DELETE FROM zotero_items WHERE library = ? AND key = ?", (library, key))
        report.deleted += 1
