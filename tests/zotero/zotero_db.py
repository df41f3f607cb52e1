"""Build zotero.sqlite files from Zotero's own schema SQL and fill them the way Zotero does."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


class ZoteroDB:
    def __init__(self, path: Path, schema_dir: Path, seed: int = 1):
        self.path = path
        self.conn = sqlite3.connect(path)
        # Test databases need no durability: without fsync per statement the schema loads in
        # milliseconds instead of half a minute on a busy disk.
        self.conn.execute("PRAGMA synchronous = OFF")
        for name in ("system.sql", "userdata.sql", "triggers.sql", "system-107.sql"):
            self.conn.executescript((schema_dir / name).read_text(encoding="utf-8"))
        # The legacy rows lack types newer Zotero has; Zotero adds them from its global schema.
        for type_name in ("annotation", "preprint"):
            if not self.conn.execute("SELECT 1 FROM itemTypes WHERE typeName = ?", (type_name,)).fetchone():
                self.conn.execute("INSERT INTO itemTypes (itemTypeID, typeName, display) VALUES ((SELECT max(itemTypeID) + 1 FROM itemTypes), ?, 1)", (type_name,))
        # Zotero fills the *Combined tables at every start-up.
        self.conn.execute("INSERT INTO itemTypesCombined SELECT itemTypeID, typeName, display, 0 FROM itemTypes")
        self.conn.execute("INSERT INTO fieldsCombined SELECT fieldID, fieldName, NULL, fieldFormatID, 0 FROM fields")
        self.conn.execute("INSERT INTO baseFieldMappingsCombined SELECT itemTypeID, baseFieldID, fieldID FROM baseFieldMappings")
        self.conn.execute("INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (1, 'user', 1, 1)")
        self.conn.commit()
        self.rng = random.Random(seed)
        self.keys: set[str] = set()

    def key(self) -> str:
        while True:
            k = "".join(self.rng.choice(KEY_CHARS) for _ in range(8))
            if k not in self.keys:
                self.keys.add(k)
                return k

    def _id(self, table: str, column: str, name_col: str, name: str) -> int:
        row = self.conn.execute(f"SELECT {column} FROM {table} WHERE {name_col} = ?", (name,)).fetchone()
        assert row, f"{name} not in {table}"
        return row[0]

    def _item(self, type_name: str, key: str | None = None, version: int = 1, library_id: int = 1) -> tuple[int, str]:
        key = key or self.key()
        cur = self.conn.execute(
            "INSERT INTO items (itemTypeID, libraryID, key, version, dateAdded, dateModified) VALUES (?, ?, ?, ?, '2024-03-01 10:00:00', '2024-03-01 10:00:00')",
            (self._id("itemTypes", "itemTypeID", "typeName", type_name), library_id, key, version))
        return cur.lastrowid, key

    def set_field(self, item_id: int, name: str, value: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO itemDataValues (value) VALUES (?)", (value,))
        value_id = self.conn.execute("SELECT valueID FROM itemDataValues WHERE value = ?", (value,)).fetchone()[0]
        self.conn.execute("INSERT OR REPLACE INTO itemData (itemID, fieldID, valueID) VALUES (?, ?, ?)",
                          (item_id, self._id("fields", "fieldID", "fieldName", name), value_id))

    def add_paper(self, title: str, *, type_name: str = "journalArticle", authors=("Edward Hu",), fields: dict | None = None,
                  tags=(), collections=(), key: str | None = None, version: int = 1, library_id: int = 1) -> tuple[int, str]:
        item_id, key = self._item(type_name, key, version, library_id)
        self.set_field(item_id, "title", title)
        for name, value in (fields or {}).items():
            self.set_field(item_id, name, value)
        author_type = self._id("creatorTypes", "creatorTypeID", "creatorType", "author")
        for n, name in enumerate(authors):
            first, _, last = name.rpartition(" ")
            self.conn.execute("INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) VALUES (?, ?, 0)", (first, last))
            cid = self.conn.execute("SELECT creatorID FROM creators WHERE firstName = ? AND lastName = ?", (first, last)).fetchone()[0]
            self.conn.execute("INSERT INTO itemCreators (itemID, creatorID, creatorTypeID, orderIndex) VALUES (?, ?, ?, ?)", (item_id, cid, author_type, n))
        for tag in tags:
            self.conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag,))
            tid = self.conn.execute("SELECT tagID FROM tags WHERE name = ?", (tag,)).fetchone()[0]
            self.conn.execute("INSERT INTO itemTags (itemID, tagID, type) VALUES (?, ?, 0)", (item_id, tid))
        for cid in collections:
            self.conn.execute("INSERT INTO collectionItems (collectionID, itemID) VALUES (?, ?)", (cid, item_id))
        return item_id, key

    def add_collection(self, name: str, parent: int | None = None, library_id: int = 1) -> int:
        return self.conn.execute("INSERT INTO collections (collectionName, parentCollectionID, libraryID, key) VALUES (?, ?, ?, ?)",
                                 (name, parent, library_id, self.key())).lastrowid

    def add_group(self, group_id: int, name: str) -> int:
        """A group library, as Zotero stores one it syncs: a `libraries` row and a `groups` row."""
        library_id = self.conn.execute("INSERT INTO libraries (type, editable, filesEditable) VALUES ('group', 1, 1)").lastrowid
        self.conn.execute("INSERT INTO groups (groupID, libraryID, name, description, version) VALUES (?, ?, ?, '', 1)",
                          (group_id, library_id, name))
        return library_id

    def add_note(self, parent: int | None, html: str) -> tuple[int, str]:
        item_id, key = self._item("note")
        self.conn.execute("INSERT INTO itemNotes (itemID, parentItemID, note, title) VALUES (?, ?, ?, '')", (item_id, parent, html))
        return item_id, key

    def add_attachment(self, parent: int, path: str | None, *, link_mode: int = 0, content_type: str = "application/pdf") -> tuple[int, str]:
        item_id, key = self._item("attachment")
        self.conn.execute("INSERT INTO itemAttachments (itemID, parentItemID, linkMode, contentType, path) VALUES (?, ?, ?, ?, ?)",
                          (item_id, parent, link_mode, content_type, path))
        return item_id, key

    def add_annotation(self, attachment: int, text: str, *, kind: int = 1, comment: str = "", color: str = "#ffd400",
                       page_label: str = "3", page_index: int = 2) -> tuple[int, str]:
        item_id, key = self._item("annotation")
        self.conn.execute(
            "INSERT INTO itemAnnotations (itemID, parentItemID, type, text, comment, color, pageLabel, sortIndex, position, isExternal) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (item_id, attachment, kind, text, comment, color, page_label, f"{page_index:05d}|000010|00020",
             json.dumps({"pageIndex": page_index, "rects": [[10, 20, 30, 40]]})))
        return item_id, key

    def trash(self, item_id: int) -> None:
        self.conn.execute("INSERT INTO deletedItems (itemID) VALUES (?)", (item_id,))

    def commit(self) -> None:
        self.conn.commit()
