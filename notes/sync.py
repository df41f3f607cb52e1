"""Notes on disk → the cards table. Only notes changed since the last sync are parsed.

Cards are never deleted: a card gone from its note is suspended ('removed from note'), the
cards of a note gone from disk are suspended ('note missing'), and both come back with their
history when the text or the note returns. Cards belong to a paper, so renaming a note (same
paper in its front matter) keeps them.
"""

from __future__ import annotations

import errno
import json
import os
import stat as stat_mod
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kb.store import Store
from kb.values import row_id
from notes import cards as cards_mod
from notes import files, identity
from notes import links as links_mod

REMOVED = "removed from note"
NOTE_MISSING = "note missing"


@dataclass(frozen=True)
class NoteIssue:
    path: str  # relative to the notes folder
    problem: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.problem}" if self.line else f"{self.path}: {self.problem}"

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "problem": self.problem}


@dataclass
class SyncReport:
    notes: int = 0  # note files found
    parsed: int = 0  # of which changed since the last sync
    cards_new: int = 0
    cards_edited: int = 0
    cards_suspended: int = 0
    cards_restored: int = 0
    issues: list[NoteIssue] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "issues"}, "issues": [i.to_dict() for i in self.issues]}


@dataclass
class _Note:
    rel: str
    mtime_ns: int
    size: int
    paper_id: int | None = None
    parsed: cards_mod.ParseResult | None = None  # None: unchanged since the last sync
    text_hash: str | None = None
    issues: list[NoteIssue] = field(default_factory=list)
    links: list = field(default_factory=list)  # notes.links.Link, when parsed


@dataclass
class _Writes:
    """Card writes gathered over a sync and sent in batches (each card row is written at most
    once per sync, so only the order of the inserts matters: it gives new cards their ids)."""

    updates: list[tuple] = field(default_factory=list)
    inserts: list[tuple] = field(default_factory=list)
    suspends: list[tuple] = field(default_factory=list)

    def flush(self, store: Store) -> None:
        if self.updates:
            store.executemany(_UPDATE_CARD, self.updates)
        if self.inserts:
            store.executemany(_INSERT_CARD, self.inserts)
        if self.suspends:
            store.executemany(_SUSPEND_CARD, self.suspends)


_UPDATE_CARD = (
    "UPDATE cards SET paper_id = ?, note_path = ?, key = ?, front = ?, back = ?, source = ?, line = ?, "
    "suspended = 0, suspended_reason = NULL, updated_at = CASE WHEN key = ? THEN updated_at ELSE ? END WHERE id = ?"
)
_INSERT_CARD = (
    "INSERT INTO cards (paper_id, note_path, kind, key, front, back, source, cloze_index, line, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SUSPEND_CARD = "UPDATE cards SET suspended = 1, suspended_reason = ?, updated_at = ? WHERE id = ?"
_REMEMBER_NOTE = (
    "INSERT INTO notes (path, paper_id, mtime_ns, size, hash, issues, missing, synced_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?) "
    "ON CONFLICT (path) DO UPDATE SET paper_id = excluded.paper_id, mtime_ns = excluded.mtime_ns, size = excluded.size, "
    "hash = excluded.hash, issues = excluded.issues, missing = 0, synced_at = excluded.synced_at"
)
# What reconciling needs of a stored card (not its timestamps). Rows are read by position in the
# hot loops (a name lookup on a sqlite3.Row costs more than the comparison): _UNCHANGED_SLICE is
# the columns _unchanged compares, in the order it compares them.
_CARD_COLUMN_NAMES = ("id", "suspended", "key", "line", "source", "note_path", "paper_id", "front", "back", "kind", "cloze_index")
_CARD_COLUMNS = ", ".join(_CARD_COLUMN_NAMES)
_ID, _SUSPENDED, _KEY, _NOTE_PATH, _PAPER_ID = (_CARD_COLUMN_NAMES.index(name) for name in ("id", "suspended", "key", "note_path", "paper_id"))
_UNCHANGED_SLICE = slice(1, 9)


def sync_notes(store: Store, home: Path, config: dict, now: datetime | None = None, *, force: bool = False) -> SyncReport:
    now = now or datetime.now(timezone.utc)
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = files.notes_dir(home, config)
    report = SyncReport()
    known = {row["path"]: row for row in store.all("SELECT * FROM notes")}
    papers = _paper_index(store)
    found = _read_notes(_note_files(root), known, papers, force)
    report.notes = len(found)
    losers = _duplicate_claims(found, papers, report)
    with store.tx():
        # One read of all cards rather than a query per note: a first sync parses every note.
        existing = _cards_by_scope(store) if any(n.parsed is not None for n in found) else {}
        writes = _Writes()
        for note in found:
            report.issues.extend(note.issues)
            if note.rel in losers:
                note.mtime_ns = 0  # parse it again next time: the other note may be gone by then
                continue
            if note.parsed is None:
                continue
            report.parsed += 1
            links_mod.replace(store, note.rel, note.paper_id, note.links)
            rows = existing.get(("paper", note.paper_id), []) if note.paper_id is not None else []
            path_rows = existing.get(("path", note.rel))
            if path_rows:
                rows = sorted(rows + path_rows, key=lambda r: r[_ID]) if rows else path_rows
            _reconcile(note, rows, stamp, report, writes)
        writes.flush(store)
        store.executemany(_REMEMBER_NOTE, [_note_row(note, stamp) for note in found])
        present = {note.rel for note in found}
        for rel, row in known.items():
            if rel not in present and not row["missing"]:
                _forget(store, rel, stamp, report)
                links_mod.forget(store, rel)
    return report


def note_issues(store: Store, home: Path, config: dict, paper_id: int | None = None, now: datetime | None = None) -> list[NoteIssue]:
    """Everything wrong in the notes (or in one paper's note): what `kb cards --check` prints."""
    report = sync_notes(store, home, config, now)
    if paper_id is None:
        return report.issues
    paths = {row["path"] for row in store.all("SELECT path FROM notes WHERE paper_id = ?", (paper_id,))}
    return [issue for issue in report.issues if issue.path in paths]


def _note_files(root: Path) -> list[tuple[Path, str, os.stat_result]]:
    """(path, path relative to root in POSIX form, stat) of each `*.md` file under root, in path
    order, leaving out files and folders whose names start with '.'. What sorted(root.rglob("*.md"))
    filtered with is_file() finds (symlinked folders are not entered), at a fraction of its cost."""
    if not root.is_dir():
        return []
    found: list[tuple[Path, str, os.stat_result]] = []
    _walk(str(root), "", found)
    found.sort(key=lambda item: item[1].split("/") if os.name != "nt" else item[0])  # Path order: by parts
    return found


def _walk(folder: str, rel_folder: str, found: list) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except PermissionError:  # as rglob: an unreadable folder holds nothing
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        rel = rel_folder + name
        try:
            is_dir = entry.is_dir()
        except OSError as exc:
            if not _not_there(exc):
                raise
            is_dir = False
        if is_dir:
            if not entry.is_symlink():
                _walk(entry.path, rel + "/", found)
            continue
        if not os.path.normcase(name).endswith(".md"):
            continue
        try:
            st = os.stat(entry.path)
        except OSError as exc:  # what Path.is_file() takes for "not a file"
            if not _not_there(exc):
                raise
            continue
        if stat_mod.S_ISREG(st.st_mode):
            found.append((Path(entry.path), rel, st))


def _not_there(exc: OSError) -> bool:
    return exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP) or getattr(exc, "winerror", None) in (21, 123, 1921)


def _paper_index(store: Store) -> dict:
    rows = store.all("SELECT id, citekey FROM papers")
    return {"ids": {r["id"]: r["citekey"] for r in rows}, "citekeys": {r["citekey"].lower(): r["id"] for r in rows}}


# Changed notes are read a batch at a time and then parsed: a run of file reads followed by a run
# of parsing measured ~25% faster than alternating the two note by note (the notes bench).
_READ_BATCH = 64


def _read_notes(listing: list[tuple[Path, str, os.stat_result]], known: dict, papers: dict, force: bool) -> list[_Note]:
    """A _Note per listed file: recalled from its notes row when unchanged since the last sync
    (same mtime and size) and not forced, otherwise read and parsed."""
    found: list[_Note] = []
    changed: list[tuple[_Note, Path, Any]] = []
    for path, rel, stat in listing:
        note = _Note(rel, stat.st_mtime_ns, stat.st_size)
        row = known.get(rel)
        if not force and row is not None and not row["missing"] and row["mtime_ns"] == stat.st_mtime_ns and row["size"] == stat.st_size:
            note.paper_id = row["paper_id"]
            note.text_hash = row["hash"]
            issues = row["issues"]
            if issues and issues != "[]":
                note.issues = [NoteIssue(rel, i["problem"], i.get("line")) for i in json.loads(issues)]
        else:
            changed.append((note, path, row))
        found.append(note)
    for start in range(0, len(changed), _READ_BATCH):
        batch = changed[start:start + _READ_BATCH]
        texts = [_read_text(note, row, path) for note, path, row in batch]
        for (note, path, _), text in zip(batch, texts):
            if text is not None:
                _parse_note(note, text, path.stem, papers)
    return found


def _read_text(note: _Note, row, path: Path) -> str | None:
    try:
        return files.read_text(path)
    except Exception as exc:  # unreadable note: report it, keep its cards as they are
        note.issues = [NoteIssue(note.rel, str(exc))]
        note.paper_id = row["paper_id"] if row is not None else None
        return None


def _parse_note(note: _Note, text: str, stem: str, papers: dict) -> None:
    rel = note.rel
    note.text_hash = files.content_hash(text)
    front = files.parse_front_matter(text)
    if front.error:
        note.issues.append(NoteIssue(rel, front.error, 1))
    note.paper_id = _paper_of(front.data, stem, papers)
    if note.paper_id is None:
        note.issues.append(NoteIssue(rel, "the note names no known paper (no paper_id or citekey in its front matter matches one); its cards are kept with the note"))
    note.parsed = cards_mod.parse(text)
    note.links = links_mod.parse(text)
    note.issues.extend(NoteIssue(rel, i.problem + (f": {i.excerpt}" if i.excerpt else ""), i.line) for i in note.parsed.issues)


def _paper_of(meta: dict, stem: str, papers: dict) -> int | None:
    raw_id = meta.get("paper_id")
    if isinstance(raw_id, int) and raw_id in papers["ids"]:
        return raw_id
    # The note's own text: "²" passes str.isdigit() but not int(), so row_id, not int(), reads it.
    if isinstance(raw_id, str) and row_id(raw_id) in papers["ids"]:
        return row_id(raw_id)
    for key in (meta.get("citekey"), stem):
        if isinstance(key, str) and key.strip().lower() in papers["citekeys"]:
            return papers["citekeys"][key.strip().lower()]
    return None


def _duplicate_claims(found: list[_Note], papers: dict, report: SyncReport) -> set[str]:
    """Two notes claiming one paper: the one named after its citekey wins; the other is reported."""
    claims: dict[int, list[_Note]] = defaultdict(list)
    for note in found:
        if note.paper_id is not None:
            claims[note.paper_id].append(note)
    losers: set[str] = set()
    for paper_id, notes in claims.items():
        if len(notes) < 2:
            continue
        citekey = papers["ids"][paper_id].lower()
        notes = sorted(notes, key=lambda n: (Path(n.rel).stem.lower() != citekey, n.rel))
        for loser in notes[1:]:
            losers.add(loser.rel)
            report.issues.append(NoteIssue(loser.rel, f"claims the same paper ({papers['ids'][paper_id]}) as {notes[0].rel}; its cards are ignored until one of them is renamed or its front matter fixed"))
    return losers


def _cards_by_scope(store: Store) -> dict[tuple, list]:
    """Stored cards grouped by what owns them: their paper, or (for no paper) their note path."""
    scopes: dict[tuple, list] = defaultdict(list)
    for row in store.all(f"SELECT {_CARD_COLUMNS} FROM cards ORDER BY id"):
        paper_id = row[_PAPER_ID]
        scopes[("paper", paper_id) if paper_id is not None else ("path", row[_NOTE_PATH])].append(row)
    return scopes


def _reconcile(note: _Note, rows: list, stamp: str, report: SyncReport, writes: _Writes) -> None:
    """Match the note's parsed cards to the stored ones of its scope (rows, in id order) and
    gather the writes for the differences."""
    parsed = note.parsed.cards
    if len(rows) == len(parsed):
        # Usually every card reads as stored, in the same order: then identity.match would pair
        # them one to one, and only the rows that differ in more than their key need a look.
        differing = []
        for row, card in zip(rows, parsed):
            if not _unchanged(row, card, note):
                if row[_KEY] != card.key:
                    break
                differing.append((row, card))
        else:
            _rewrite(differing, note, stamp, report, writes)
            return
    stored = [identity.StoredCard(r["id"], r["kind"], r["key"], r["cloze_index"], f"{r['front']}\n{r['back']}", r["line"]) for r in rows]
    matching = identity.match(stored, parsed)
    by_id = {r[_ID]: r for r in rows}
    _rewrite([(by_id[card_id], card) for card_id, card in matching.same + matching.edited], note, stamp, report, writes)
    report.cards_edited += len(matching.edited)
    for card in matching.new:
        writes.inserts.append((note.paper_id, note.rel, card.kind, card.key, card.front, card.back, card.source, card.cloze_index, card.line, stamp, stamp))
    report.cards_new += len(matching.new)
    for card_id in matching.gone:
        if not by_id[card_id][_SUSPENDED]:
            writes.suspends.append((REMOVED, stamp, card_id))
            report.cards_suspended += 1


def _rewrite(pairs: list, note: _Note, stamp: str, report: SyncReport, writes: _Writes) -> None:
    """Stored cards (rows) matched to parsed ones: restore the suspended, rewrite what changed."""
    for row, card in pairs:
        if row[_SUSPENDED]:
            report.cards_restored += 1
        if _unchanged(row, card, note):
            continue
        writes.updates.append((note.paper_id, note.rel, card.key, card.front, card.back, card.source, card.line, card.key, stamp, row[_ID]))


def _unchanged(row, card: cards_mod.ParsedCard, note: _Note) -> bool:
    """Not suspended, and every column a sync writes already as it would write it."""
    return row[_UNCHANGED_SLICE] == (0, card.key, card.line, card.source, note.rel, note.paper_id, card.front, card.back)


def _note_row(note: _Note, stamp: str) -> tuple:
    """The notes row remembering what this sync saw of the note (for _REMEMBER_NOTE)."""
    issues = [{"problem": i.problem, "line": i.line} for i in note.issues if i.path == note.rel]
    return (note.rel, note.paper_id, note.mtime_ns, note.size, note.text_hash, json.dumps(issues, ensure_ascii=False) if issues else "[]", stamp)


def _forget(store: Store, rel: str, stamp: str, report: SyncReport) -> None:
    store.execute("UPDATE notes SET missing = 1, synced_at = ? WHERE path = ?", (stamp, rel))
    cur = store.execute(
        "UPDATE cards SET suspended = 1, suspended_reason = ?, updated_at = ? WHERE note_path = ? AND suspended = 0",
        (NOTE_MISSING, stamp, rel),
    )
    report.cards_suspended += cur.rowcount
