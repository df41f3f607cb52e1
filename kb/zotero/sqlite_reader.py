"""zotero.sqlite, read while Zotero runs, whichever Zotero wrote it (4 to 10).

Zotero holds the database with an exclusive lock, so the file is copied to a temporary folder
and the copy is read. A copy taken during a write would hold half a transaction: the copy is
taken together with Zotero's `-journal` (rollback journal, most data directories) or `-wal`,
and kept only if neither the database header nor the journal changed while it was copied; a
hot journal copied with it makes SQLite roll the half-written transaction back when the copy is
opened. The schema is read by looking at which tables and columns exist (Zotero 4's
`creatorData`, `sourceItemID` and `mimeType`; no `deletedCollections` before Zotero 5.0.8x; no
`itemAnnotations` before Zotero 6), and field ids by `fieldName`, since they differ between
databases.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from kb.zotero.errors import ZoteroError
from kb.zotero.model import ANNOTATION_TYPES, LINK_MODES, Annotation, Attachment, Batch, Collection, Note, clean_text, item_from_data

FT_CACHE = ".zotero-ft-cache"
SNAPSHOT_TIMEOUT_S = 30.0


class ZoteroBusy(ZoteroError):
    pass


def _state(db_path: Path) -> tuple:
    """What changes when Zotero commits or starts writing: the header's change counter, the
    file's size and mtime, and the journal and WAL files' size and mtime."""
    out: list[Any] = []
    try:
        with db_path.open("rb") as fh:
            out.append(fh.read(100)[24:28])
    except OSError:
        out.append(None)
    for path in (db_path, db_path.with_name(db_path.name + "-journal"), db_path.with_name(db_path.name + "-wal")):
        try:
            st = path.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def copy_consistent(db_path: Path, target: Path, *, timeout_s: float = SNAPSHOT_TIMEOUT_S,
                    sleep: Callable[[float], None] = time.sleep) -> None:
    """Copy the database, its `-journal` and `-wal` to `target` so that they belong together;
    retried while Zotero is writing, up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        before = _state(db_path)
        for suffix in ("-journal", "-wal"):
            extra = target.with_name(target.name + suffix)
            extra.unlink(missing_ok=True)
        journal = _read_if_present(db_path.with_name(db_path.name + "-journal"))
        wal = _read_if_present(db_path.with_name(db_path.name + "-wal"))
        shutil.copyfile(db_path, target)
        if _state(db_path) == before and _read_if_present(db_path.with_name(db_path.name + "-journal")) == journal:
            if journal:
                target.with_name(target.name + "-journal").write_bytes(journal)
            if wal:
                target.with_name(target.name + "-wal").write_bytes(wal)
            return
        if time.monotonic() >= deadline:
            raise ZoteroBusy(f"Zotero kept writing to {db_path} for {timeout_s:g} s; no consistent copy could be taken",
                             "run `kb sync` again when Zotero is idle (or close Zotero)")
        sleep(0.05)


def _read_if_present(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@contextmanager
def snapshot(db_path: Path, timeout_s: float = SNAPSHOT_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
    """A private, consistent copy of the database, opened read-write in a temporary folder (so a
    hot journal is rolled back on open)."""
    if not db_path.is_file():
        raise ZoteroError(f"no Zotero database at {db_path}", "point `kb zotero setup --sqlite` at zotero.sqlite in Zotero's data directory")
    with tempfile.TemporaryDirectory(prefix="kb-zotero-") as tmp:
        copy = Path(tmp) / "zotero.sqlite"
        copy_consistent(db_path, copy, timeout_s=timeout_s)
        conn = sqlite3.connect(copy)
        try:
            conn.execute("SELECT count(*) FROM items").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ZoteroError(f"{db_path} is not a readable Zotero database ({exc})", "check the path; Zotero keeps it in its data directory") from None
        try:
            yield conn
        finally:
            conn.close()


class Schema:
    """Which tables and columns this database has."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._columns: dict[str, set[str]] = {}

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            self._columns[table] = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")} if table in self.tables else set()
        return self._columns[table]

    def first(self, table: str, *names: str) -> str | None:
        return next((n for n in names if n in self.columns(table)), None)

    def combined(self, combined: str, plain: str) -> str:
        """Zotero fills the *Combined tables at start-up; a database it never opened has only the plain ones."""
        if combined in self.tables and self.conn.execute(f"SELECT 1 FROM {combined} LIMIT 1").fetchone():
            return combined
        return plain


def libraries(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The libraries in the database: the user's, and each group's (id, name), for `kb zotero setup`."""
    schema = Schema(conn)
    out = [{"library": "user", "name": "My Library", "items": _count(conn, schema, None)}]
    if "groups" in schema.tables:
        for group_id, library_id, name in conn.execute("SELECT groupID, libraryID, name FROM groups ORDER BY groupID"):
            out.append({"library": f"group:{group_id}", "name": name, "items": _count(conn, schema, library_id)})
    return out


def _count(conn: sqlite3.Connection, schema: Schema, library_id: int | None) -> int:
    """Regular items (what Zotero lists as papers, books, ...), without notes, files and annotations."""
    types = schema.combined("itemTypesCombined", "itemTypes")
    return conn.execute(f"SELECT count(*) FROM items i JOIN {types} t ON t.itemTypeID = i.itemTypeID WHERE "
                        f"{_library_clause(conn, schema, library_id, 'i.')} AND t.typeName NOT IN ('note', 'attachment', 'annotation')").fetchone()[0]


def _user_library_id(conn: sqlite3.Connection, schema: Schema) -> int | None:
    kind = schema.first("libraries", "type", "libraryType")
    if kind:
        row = conn.execute(f"SELECT libraryID FROM libraries WHERE {kind} = 'user' ORDER BY libraryID LIMIT 1").fetchone()
        if row:
            return row[0]
    return None


def _library_clause(conn: sqlite3.Connection, schema: Schema, library_id: int | None, alias: str = "") -> str:
    """Zotero 4 keeps the user's items with libraryID NULL; Zotero 5+ with the user library's id."""
    column = f"{alias}libraryID"
    if library_id is not None:
        return f"{column} = {int(library_id)}"
    user = _user_library_id(conn, schema)
    return f"({column} IS NULL" + (f" OR {column} = {int(user)})" if user is not None else ")")


class SqliteSource:
    kind = "sqlite"

    def __init__(self, path: str | Path, data_dir: str | Path | None = None, base_dir: str | Path | None = None,
                 group: str | int | None = None, timeout_s: float = SNAPSHOT_TIMEOUT_S):
        self.path = Path(path).expanduser()
        self.data_dir = Path(data_dir).expanduser() if data_dir else self.path.parent
        self.base_dir = Path(base_dir).expanduser() if base_dir else None
        self.group = str(group).removeprefix("group:") if group not in (None, "", "user") else None
        self.library = f"sqlite:group:{self.group}" if self.group else "sqlite"
        self.timeout_s = timeout_s

    def close(self) -> None:
        pass

    def read_file(self, attachment: Attachment) -> bytes:
        if not attachment.local_path:
            raise FileNotFoundError(attachment.key)
        return Path(attachment.local_path).read_bytes()

    def fetch(self, since: int = 0) -> Batch:
        """Every live item (the file is local: a full read is cheap and catches every change)."""
        with snapshot(self.path, self.timeout_s) as conn:
            return self._read(conn)

    def _library_id(self, conn: sqlite3.Connection, schema: Schema) -> int | None:
        if self.group is None:
            return None
        row = conn.execute("SELECT libraryID FROM groups WHERE groupID = ? OR name = ?", (self.group, self.group)).fetchone() \
            if "groups" in schema.tables else None
        if row is None:
            raise ZoteroError(f"{self.path} has no group library {self.group!r}", "see `kb zotero libraries`, then `kb zotero setup --sqlite PATH --group ID`")
        return row[0]

    def _read(self, conn: sqlite3.Connection) -> Batch:
        schema = Schema(conn)
        types = schema.combined("itemTypesCombined", "itemTypes")
        fields = schema.combined("fieldsCombined", "fields")
        base_maps = schema.combined("baseFieldMappingsCombined", "baseFieldMappings")
        library_id = self._library_id(conn, schema)
        where = _library_clause(conn, schema, library_id)
        version = "i.version" if "version" in schema.columns("items") else "0"
        rows = conn.execute(
            f"SELECT i.itemID, i.key, {version}, i.dateAdded, i.dateModified, t.typeName FROM items i "
            f"JOIN {types} t ON t.itemTypeID = i.itemTypeID WHERE {_library_clause(conn, schema, library_id, 'i.')}"
        ).fetchall()
        info = {r[0]: {"key": r[1], "version": r[2] or 0, "dateAdded": r[3], "dateModified": r[4], "itemType": r[5]} for r in rows}
        parents = self._parents(conn, schema)
        trashed = self._trashed(conn, parents, set(info))
        batch = Batch(library=self.library, version=max((r[2] or 0 for r in rows), default=0), complete=True)
        batch.deleted_items = sorted(info[i]["key"] for i in trashed)
        for item_id in trashed:
            info.pop(item_id)
        keys = {item_id: data["key"] for item_id, data in info.items()}

        for item_id, name, base, value in conn.execute(
            f"SELECT d.itemID, f.fieldName, bf.fieldName, v.value FROM itemData d "
            f"JOIN {fields} f ON f.fieldID = d.fieldID JOIN itemDataValues v ON v.valueID = d.valueID "
            f"JOIN items i ON i.itemID = d.itemID "
            f"LEFT JOIN {base_maps} m ON m.itemTypeID = i.itemTypeID AND m.fieldID = d.fieldID "
            f"LEFT JOIN {fields} bf ON bf.fieldID = m.baseFieldID"
        ):
            data = info.get(item_id)
            if data is not None:
                data[name] = value
                if base:
                    data.setdefault(base, value)
        self._creators(conn, schema, info)
        self._tags(conn, schema, info)
        batch.collections, memberships = self._collections(conn, schema, where)
        for item_id, collection_key in memberships:
            if item_id in info:
                info[item_id].setdefault("collections", []).append(collection_key)

        parent_col = schema.first("itemAttachments", "parentItemID", "sourceItemID")
        mime_col = schema.first("itemAttachments", "contentType", "mimeType")
        hash_col = "storageHash" if "storageHash" in schema.columns("itemAttachments") else "NULL"
        attachments = {r[0]: r for r in conn.execute(f"SELECT itemID, {parent_col}, linkMode, {mime_col}, path, {hash_col} FROM itemAttachments")}
        annotations = {}
        if "itemAnnotations" in schema.tables:
            annotations = {r[0]: r for r in conn.execute(
                "SELECT itemID, parentItemID, type, text, comment, color, pageLabel, sortIndex, position FROM itemAnnotations")}
        notes = {}
        if "itemNotes" in schema.tables:
            note_parent = schema.first("itemNotes", "parentItemID", "sourceItemID")
            notes = {r[0]: r for r in conn.execute(f"SELECT itemID, {note_parent}, note FROM itemNotes")}
        for item_id, data in info.items():
            if item_id in attachments:
                batch.attachments.append(self._attachment(data, attachments[item_id], keys, batch))
            elif item_id in annotations:
                batch.annotations.append(self._annotation(data, annotations[item_id], keys))
            elif item_id in notes:
                _, parent_id, html = notes[item_id]
                if parent_id in keys:  # a standalone note is no paper's note
                    batch.notes.append(Note(key=data["key"], version=data["version"], parent_key=keys[parent_id], html=html or "",
                                            date_modified=data.get("dateModified")))
            elif data["itemType"] not in ("note", "attachment", "annotation"):
                try:
                    batch.items.append(item_from_data(data))
                except (KeyError, ValueError, TypeError) as exc:
                    batch.warnings.append(f"item {data['key']}: skipped, unreadable ({exc})")
        return batch

    def _parents(self, conn: sqlite3.Connection, schema: Schema) -> dict[int, int]:
        """child itemID → parent itemID, for attachments, notes and annotations."""
        out: dict[int, int] = {}
        for table in ("itemAttachments", "itemNotes", "itemAnnotations"):
            col = schema.first(table, "parentItemID", "sourceItemID")
            if col:
                out.update({r[0]: r[1] for r in conn.execute(f"SELECT itemID, {col} FROM {table} WHERE {col} IS NOT NULL")})
        return out

    def _trashed(self, conn: sqlite3.Connection, parents: dict[int, int], live: set[int]) -> set[int]:
        """Items in the trash, and what hangs below them (Zotero hides a trashed PDF's annotations)."""
        direct = {r[0] for r in conn.execute("SELECT itemID FROM deletedItems")}
        out = set()
        for item_id in live:
            node, seen = item_id, set()
            while node is not None and node not in seen:
                if node in direct:
                    out.add(item_id)
                    break
                seen.add(node)
                node = parents.get(node)
        return out

    def _creators(self, conn: sqlite3.Connection, schema: Schema, info: dict[int, dict[str, Any]]) -> None:
        if "creatorData" in schema.tables and "creatorDataID" in schema.columns("creators"):  # Zotero 4
            people = "JOIN creatorData cd ON cd.creatorDataID = c.creatorDataID"
            cols = "cd.firstName, cd.lastName, cd.fieldMode"
        else:
            people, cols = "", "c.firstName, c.lastName, c.fieldMode"
        for item_id, first, last, mode, role in conn.execute(
            f"SELECT ic.itemID, {cols}, ct.creatorType FROM itemCreators ic JOIN creators c ON c.creatorID = ic.creatorID {people} "
            "JOIN creatorTypes ct ON ct.creatorTypeID = ic.creatorTypeID ORDER BY ic.itemID, ic.orderIndex"
        ):
            if item_id in info:
                creator = {"creatorType": role, "name": last} if mode == 1 else {"creatorType": role, "firstName": first or "", "lastName": last or ""}
                info[item_id].setdefault("creators", []).append(creator)

    def _tags(self, conn: sqlite3.Connection, schema: Schema, info: dict[int, dict[str, Any]]) -> None:
        kind = "it.type" if "type" in schema.columns("itemTags") else ("t.type" if "type" in schema.columns("tags") else "0")
        for item_id, name, tag_type in conn.execute(f"SELECT it.itemID, t.name, {kind} FROM itemTags it JOIN tags t ON t.tagID = it.tagID"):
            if item_id in info:
                info[item_id].setdefault("tags", []).append({"tag": name, "type": tag_type or 0})

    def _collections(self, conn: sqlite3.Connection, schema: Schema, where: str) -> tuple[list[Collection], list[tuple[int, str]]]:
        version = "version" if "version" in schema.columns("collections") else "0"
        deleted = "AND collectionID NOT IN (SELECT collectionID FROM deletedCollections)" if "deletedCollections" in schema.tables else ""
        rows = conn.execute(f"SELECT collectionID, key, collectionName, parentCollectionID, {version} FROM collections WHERE {where} {deleted}").fetchall()
        keys = {r[0]: r[1] for r in rows}
        parent_of = {r[0]: r[3] for r in rows}

        def live(cid: int) -> bool:  # a collection inside a deleted one is gone with it
            seen = set()
            while cid is not None and cid not in seen:
                if cid not in keys:
                    return False
                seen.add(cid)
                cid = parent_of.get(cid)
            return True

        kept = {cid for cid in keys if live(cid)}
        collections = [Collection(key=r[1], name=clean_text(r[2]), parent_key=keys.get(r[3]), version=r[4] or 0) for r in rows if r[0] in kept]
        memberships = [(item_id, keys[cid]) for cid, item_id in conn.execute("SELECT collectionID, itemID FROM collectionItems") if cid in kept]
        return collections, memberships

    def _attachment(self, data: dict[str, Any], row: tuple, keys: dict[int, str], batch: Batch) -> Attachment:
        _, parent_id, link_mode, content_type, stored_path, storage_hash = row
        key = data["key"]
        local = self._resolve(key, stored_path, batch)
        fulltext = None
        cache = self.data_dir / "storage" / key / FT_CACHE
        if cache.is_file():
            fulltext = cache.read_text(encoding="utf-8", errors="replace")
        name = Path(local).name if local else (Path(stored_path).name if stored_path else None)
        return Attachment(
            key=key, version=data["version"], parent_key=keys.get(parent_id), filename=name,
            content_type=content_type, link_mode=LINK_MODES.get(link_mode, str(link_mode)), local_path=local,
            md5=storage_hash, fulltext=fulltext, data={**data, "path": stored_path, "linkMode": LINK_MODES.get(link_mode)},
        )

    def _resolve(self, key: str, stored: str | None, batch: Batch) -> str | None:
        """Zotero's stored path as a file on this machine: `storage:NAME` under the data dir,
        `attachments:REL` under the base directory, or an absolute linked file."""
        if not stored:
            return None
        if stored.startswith("storage:"):
            return str(self.data_dir / "storage" / key / stored[len("storage:"):])
        if stored.startswith("attachments:"):
            if self.base_dir is None:
                batch.warnings.append(f"attachment {key}: relative to Zotero's base directory, which is not set (kb config zotero.base_dir)")
                return None
            return str(self.base_dir / stored[len("attachments:"):])
        return stored

    def _annotation(self, data: dict[str, Any], row: tuple, keys: dict[int, str]) -> Annotation:
        _, parent_id, kind, text, comment, color, page_label, sort_index, position = row
        try:
            page_index = json.loads(position or "{}").get("pageIndex")
        except (ValueError, AttributeError):
            page_index = None
        return Annotation(
            key=data["key"], version=data["version"], parent_key=keys.get(parent_id, ""), type=ANNOTATION_TYPES.get(kind, "highlight"),
            text=text or None, comment=comment or None, color=color, page_label=page_label,
            page_index=page_index if isinstance(page_index, int) else None, sort_index=sort_index,
            date_added=data.get("dateAdded"), date_modified=data.get("dateModified"),
            data={k: v for k, v in data.items()},
        )
