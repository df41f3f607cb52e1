"""Notes on disk → the cards table. Only notes changed since the last sync are parsed.

Cards are never deleted: a card gone from its note is suspended ('removed from note'), the
cards of a note gone from disk are suspended ('note missing'), and both come back with their
history when the text or the note returns. Cards belong to a paper, so renaming a note (same
paper in its front matter) keeps them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kb.store import Store
from notes import cards as cards_mod
from notes import files, identity

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


def sync_notes(store: Store, home: Path, config: dict, now: datetime | None = None, *, force: bool = False) -> SyncReport:
    now = now or datetime.now(timezone.utc)
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = files.notes_dir(home, config)
    report = SyncReport()
    known = {row["path"]: row for row in store.all("SELECT * FROM notes")}
    papers = _paper_index(store)
    found = [_read_note(root, path, known.get(_rel(root, path)), papers, force) for path in _note_files(root)]
    report.notes = len(found)
    losers = _duplicate_claims(found, papers, report)
    with store.tx():
        # One read of all cards rather than a query per note: a first sync parses every note.
        existing = _cards_by_scope(store) if any(n.parsed is not None for n in found) else {}
        for note in found:
            report.issues.extend(note.issues)
            if note.rel in losers:
                note.mtime_ns = 0  # parse it again next time: the other note may be gone by then
                continue
            if note.parsed is None:
                continue
            report.parsed += 1
            rows = existing.get(("paper", note.paper_id), []) if note.paper_id is not None else []
            _reconcile(store, note, rows + existing.get(("path", note.rel), []), stamp, report)
        for note in found:
            _remember(store, note, stamp)
        present = {note.rel for note in found}
        for rel, row in known.items():
            if rel not in present and not row["missing"]:
                _forget(store, rel, stamp, report)
    return report


def note_issues(store: Store, home: Path, config: dict, paper_id: int | None = None, now: datetime | None = None) -> list[NoteIssue]:
    """Everything wrong in the notes (or in one paper's note): what `kb cards --check` prints."""
    report = sync_notes(store, home, config, now)
    if paper_id is None:
        return report.issues
    paths = {row["path"] for row in store.all("SELECT path FROM notes WHERE paper_id = ?", (paper_id,))}
    return [issue for issue in report.issues if issue.path in paths]


def _note_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.md") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _paper_index(store: Store) -> dict:
    rows = store.all("SELECT id, citekey FROM papers")
    return {"ids": {r["id"]: r["citekey"] for r in rows}, "citekeys": {r["citekey"].lower(): r["id"] for r in rows}}


def _read_note(root: Path, path: Path, row, papers: dict, force: bool) -> _Note:
    rel = _rel(root, path)
    stat = path.stat()
    note = _Note(rel, stat.st_mtime_ns, stat.st_size)
    unchanged = row is not None and not row["missing"] and row["mtime_ns"] == stat.st_mtime_ns and row["size"] == stat.st_size
    if unchanged and not force:
        note.paper_id = row["paper_id"]
        note.text_hash = row["hash"]
        note.issues = [NoteIssue(rel, i["problem"], i.get("line")) for i in json.loads(row["issues"] or "[]")]
        return note
    try:
        text = files.read_text(path)
    except Exception as exc:  # unreadable note: report it, keep its cards as they are
        note.issues = [NoteIssue(rel, str(exc))]
        note.paper_id = row["paper_id"] if row is not None else None
        return note
    note.text_hash = files.content_hash(text)
    front = files.parse_front_matter(text)
    if front.error:
        note.issues.append(NoteIssue(rel, front.error, 1))
    note.paper_id = _paper_of(front.data, path.stem, papers)
    if note.paper_id is None:
        note.issues.append(NoteIssue(rel, "the note names no known paper (no paper_id or citekey in its front matter matches one); its cards are kept with the note"))
    note.parsed = cards_mod.parse(text)
    note.issues.extend(NoteIssue(rel, i.problem + (f": {i.excerpt}" if i.excerpt else ""), i.line) for i in note.parsed.issues)
    return note


def _paper_of(meta: dict, stem: str, papers: dict) -> int | None:
    raw_id = meta.get("paper_id")
    if isinstance(raw_id, int) and raw_id in papers["ids"]:
        return raw_id
    if isinstance(raw_id, str) and raw_id.strip().isdigit() and int(raw_id) in papers["ids"]:
        return int(raw_id)
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
    for row in store.all("SELECT * FROM cards ORDER BY id"):
        scopes[("paper", row["paper_id"]) if row["paper_id"] is not None else ("path", row["note_path"])].append(row)
    return scopes


def _reconcile(store: Store, note: _Note, rows: list, stamp: str, report: SyncReport) -> None:
    """Match the note's parsed cards to the stored ones of its scope and write the differences."""
    stored = [identity.StoredCard(r["id"], r["kind"], r["key"], r["cloze_index"], f"{r['front']}\n{r['back']}", r["line"]) for r in rows]
    suspended = {r["id"] for r in rows if r["suspended"]}
    matching = identity.match(stored, note.parsed.cards)
    by_id = {r["id"]: r for r in rows}
    for card_id, card in matching.same + matching.edited:
        if card_id in suspended:
            report.cards_restored += 1
        if _unchanged(by_id[card_id], card, note):
            continue
        store.execute(
            "UPDATE cards SET paper_id = ?, note_path = ?, key = ?, front = ?, back = ?, source = ?, line = ?, "
            "suspended = 0, suspended_reason = NULL, updated_at = CASE WHEN key = ? THEN updated_at ELSE ? END WHERE id = ?",
            (note.paper_id, note.rel, card.key, card.front, card.back, card.source, card.line, card.key, stamp, card_id),
        )
    report.cards_edited += len(matching.edited)
    for card in matching.new:
        store.execute(
            "INSERT INTO cards (paper_id, note_path, kind, key, front, back, source, cloze_index, line, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (note.paper_id, note.rel, card.kind, card.key, card.front, card.back, card.source, card.cloze_index, card.line, stamp, stamp),
        )
    report.cards_new += len(matching.new)
    for card_id in matching.gone:
        if card_id not in suspended:
            store.execute("UPDATE cards SET suspended = 1, suspended_reason = ?, updated_at = ? WHERE id = ?", (REMOVED, stamp, card_id))
            report.cards_suspended += 1


def _unchanged(row, card: cards_mod.ParsedCard, note: _Note) -> bool:
    return (not row["suspended"] and row["key"] == card.key and row["line"] == card.line and row["source"] == card.source
            and row["note_path"] == note.rel and row["paper_id"] == note.paper_id and row["front"] == card.front and row["back"] == card.back)


def _remember(store: Store, note: _Note, stamp: str) -> None:
    store.execute(
        "INSERT INTO notes (path, paper_id, mtime_ns, size, hash, issues, missing, synced_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?) "
        "ON CONFLICT (path) DO UPDATE SET paper_id = excluded.paper_id, mtime_ns = excluded.mtime_ns, size = excluded.size, "
        "hash = excluded.hash, issues = excluded.issues, missing = 0, synced_at = excluded.synced_at",
        (note.rel, note.paper_id, note.mtime_ns, note.size, note.text_hash,
         json.dumps([{"problem": i.problem, "line": i.line} for i in note.issues if i.path == note.rel], ensure_ascii=False), stamp),
    )


def _forget(store: Store, rel: str, stamp: str, report: SyncReport) -> None:
    store.execute("UPDATE notes SET missing = 1, synced_at = ? WHERE path = ?", (stamp, rel))
    cur = store.execute(
        "UPDATE cards SET suspended = 1, suspended_reason = ?, updated_at = ? WHERE note_path = ? AND suspended = 0",
        (NOTE_MISSING, stamp, rel),
    )
    report.cards_suspended += cur.rowcount
