"""zotero.sqlite, read while Zotero runs.

Zotero holds the database with an exclusive lock, and Zotero 10 writes through a WAL, so the
file and its `-wal` are copied to a temporary folder and the copy is read (immutable mode would
miss what is still in the WAL). Field ids differ between databases: every field is looked up by
`fieldName`, type-specific fields through the base-field mappings.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from kb.zotero.errors import ZoteroError
from kb.zotero.model import ANNOTATION_TYPES, LINK_MODES, Annotation, Attachment, Batch, Collection, item_from_data

FT_CACHE = ".zotero-ft-cache"


@contextmanager
def snapshot(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A private copy of the database (with its WAL), opened read-write in a temporary folder."""
    if not db_path.is_file():
        raise ZoteroError(f"no Zotero database at {db_path}", "point `kb zotero setup --sqlite` at zotero.sqlite in Zotero's data directory")
    with tempfile.TemporaryDirectory(prefix="kb-zotero-") as tmp:
        copy = Path(tmp) / "zotero.sqlite"
        shutil.copyfile(db_path, copy)
        wal = db_path.with_name(db_path.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
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


def _table(conn: sqlite3.Connection, combined: str, plain: str) -> str:
    """Zotero fills the *Combined tables at start-up; a database it never opened has only the plain ones."""
    return combined if conn.execute(f"SELECT 1 FROM {combined} LIMIT 1").fetchone() else plain


class SqliteSource:
    kind = "sqlite"

    def __init__(self, path: str | Path, data_dir: str | Path | None = None, base_dir: str | Path | None = None):
        self.path = Path(path).expanduser()
        self.data_dir = Path(data_dir).expanduser() if data_dir else self.path.parent
        self.base_dir = Path(base_dir).expanduser() if base_dir else None
        self.library = "sqlite"

    def close(self) -> None:
        pass

    def read_file(self, attachment: Attachment) -> bytes:
        if not attachment.local_path:
            raise FileNotFoundError(attachment.key)
        return Path(attachment.local_path).read_bytes()

    def fetch(self, since: int = 0) -> Batch:
        """Every live item (the file is local: a full read is cheap and catches every change)."""
        with snapshot(self.path) as conn:
            return self._read(conn)

    def _read(self, conn: sqlite3.Connection) -> Batch:
        types = _table(conn, "itemTypesCombined", "itemTypes")
        fields = _table(conn, "fieldsCombined", "fields")
        base_maps = _table(conn, "baseFieldMappingsCombined", "baseFieldMappings")
        library_id = conn.execute("SELECT libraryID FROM libraries WHERE type = 'user' ORDER BY libraryID LIMIT 1").fetchone()
        library_id = library_id[0] if library_id else 1
        rows = conn.execute(
            f"SELECT i.itemID, i.key, i.version, i.dateAdded, i.dateModified, t.typeName, "
            f"i.itemID IN (SELECT itemID FROM deletedItems) AS trashed "
            f"FROM items i JOIN {types} t ON t.itemTypeID = i.itemTypeID WHERE i.libraryID = ?", (library_id,)
        ).fetchall()
        batch = Batch(library=self.library, version=max((r[2] for r in rows), default=0), complete=True)
        info = {r[0]: {"key": r[1], "version": r[2], "dateAdded": r[3], "dateModified": r[4], "itemType": r[5]} for r in rows if not r[6]}
        batch.deleted_items = [r[1] for r in rows if r[6]]
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
        for item_id, first, last, mode, role in conn.execute(
            "SELECT ic.itemID, c.firstName, c.lastName, c.fieldMode, ct.creatorType FROM itemCreators ic "
            "JOIN creators c ON c.creatorID = ic.creatorID JOIN creatorTypes ct ON ct.creatorTypeID = ic.creatorTypeID "
            "ORDER BY ic.itemID, ic.orderIndex"
        ):
            if item_id in info:
                creator = {"creatorType": role, "name": last} if mode == 1 else {"creatorType": role, "firstName": first or "", "lastName": last or ""}
                info[item_id].setdefault("creators", []).append(creator)
        for item_id, name, kind in conn.execute("SELECT it.itemID, t.name, it.type FROM itemTags it JOIN tags t ON t.tagID = it.tagID"):
            if item_id in info:
                info[item_id].setdefault("tags", []).append({"tag": name, "type": kind})

        batch.collections, memberships = self._collections(conn, library_id)
        for item_id, collection_key in memberships:
            if item_id in info:
                info[item_id].setdefault("collections", []).append(collection_key)

        attachments = {r[0]: r for r in conn.execute("SELECT itemID, parentItemID, linkMode, contentType, path, storageHash FROM itemAttachments")}
        annotations = {r[0]: r for r in conn.execute(
            "SELECT itemID, parentItemID, type, text, comment, color, pageLabel, sortIndex, position FROM itemAnnotations")}
        for item_id, data in info.items():
            if item_id in attachments:
                batch.attachments.append(self._attachment(data, attachments[item_id], keys, batch))
            elif item_id in annotations:
                note = self._annotation(data, annotations[item_id], keys)
                if note:
                    batch.annotations.append(note)
            elif data["itemType"] not in ("note", "attachment", "annotation"):
                try:
                    batch.items.append(item_from_data(data))
                except (KeyError, ValueError, TypeError) as exc:
                    batch.warnings.append(f"item {data['key']}: skipped, unreadable ({exc})")
        return batch

    def _collections(self, conn: sqlite3.Connection, library_id: int) -> tuple[list[Collection], list[tuple[int, str]]]:
        rows = conn.execute(
            "SELECT collectionID, key, collectionName, parentCollectionID, version FROM collections "
            "WHERE libraryID = ? AND collectionID NOT IN (SELECT collectionID FROM deletedCollections)", (library_id,)
        ).fetchall()
        keys = {r[0]: r[1] for r in rows}
        collections = [Collection(key=r[1], name=r[2], parent_key=keys.get(r[3]), version=r[4]) for r in rows]
        memberships = [(item_id, keys[cid]) for cid, item_id in conn.execute("SELECT collectionID, itemID FROM collectionItems") if cid in keys]
        return collections, memberships

    def _attachment(self, data: dict[str, Any], row: tuple, keys: dict[int, str], batch: Batch) -> Attachment:
        _, parent_id, link_mode, content_type, stored_path, storage_hash = row
        key = data["key"]
        local = self._resolve(key, stored_path, batch)
        fulltext = None
        cache = self.data_dir / "storage" / key / FT_CACHE
        if cache.is_file():
            fulltext = cache.read_text(encoding="utf-8", errors="replace")
        return Attachment(
            key=key, version=data["version"], parent_key=keys.get(parent_id), filename=Path(local).name if local else None,
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

    def _annotation(self, data: dict[str, Any], row: tuple, keys: dict[int, str]) -> Annotation | None:
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
