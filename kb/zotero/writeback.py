"""Write back to Zotero (web API; local API from Zotero 10): create the plan's missing papers
in a collection named after the plan, keep `kb:<status>` tags in step with reading status, and
optionally attach each paper's summary (the user's note sections) as a child note.
`plan_changes` only computes; `apply_changes` writes."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb import papers
from kb.errors import NotFound
from kb.store import Store
from kb.zotero.errors import ReadOnly

TAG_PREFIX = "kb:"
SUMMARY_TAG = "kb:summary"


@dataclass
class Change:
    action: str  # create_collection | create_item | set_tags | create_note | update_note
    title: str
    paper_id: int | None = None
    key: str | None = None
    tags: list[str] = field(default_factory=list)
    note: str | None = field(default=None, repr=False)  # the child note's HTML (summaries)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _plans(store: Store, plan_name: str | None) -> list[Any]:
    if plan_name:
        row = store.one("SELECT * FROM plans WHERE name = ?", (plan_name,))
        if row is None:
            raise NotFound(f"no plan named {plan_name!r}", "see `kb plan list`")
        return [row]
    return store.all("SELECT * FROM plans ORDER BY id")


def plan_changes(store: Store, library: str, plan_name: str | None = None, *, create: bool = True, status_tags: bool = True,
                 summaries_from: Path | None = None) -> list[Change]:
    """What a push would change. With `summaries_from` (the notes folder), each Zotero paper
    whose note has written sections gets (or has updated) a child note with its summary."""
    changes: list[Change] = []
    if create:
        for plan in _plans(store, plan_name):
            missing = store.all(
                "SELECT DISTINCT p.* FROM plan_items i JOIN papers p ON p.id = i.paper_id "
                "WHERE i.plan_id = ? AND i.kind = 'paper' AND (p.zotero_key IS NULL OR p.zotero_library != ?) ORDER BY i.position",
                (plan["id"], library))
            if not missing:
                continue
            name = plan["name"]
            if not store.one("SELECT 1 FROM zotero_collections WHERE library = ? AND name = ?", (library, name)):
                changes.append(Change("create_collection", name))
            changes += [Change("create_item", p["title"], paper_id=p["id"], tags=[f"{TAG_PREFIX}{p['status']}"] if status_tags else [],
                               key=name) for p in missing]
    if status_tags:
        for row in store.all(
            "SELECT p.id, p.title, p.status, z.key FROM papers p JOIN zotero_items z ON z.library = ? AND z.key = p.zotero_key "
            "WHERE p.zotero_library = ?", (library, library)):
            current = sorted(r["tag"] for r in store.all(
                "SELECT tag FROM zotero_tags WHERE library = ? AND item_key = ? AND tag LIKE 'kb:%'", (library, row["key"])))
            wanted = [f"{TAG_PREFIX}{row['status']}"]
            if current != wanted:
                changes.append(Change("set_tags", row["title"], paper_id=row["id"], key=row["key"], tags=wanted))
    if summaries_from is not None:
        changes += _summary_changes(store, library, summaries_from)
    return changes


def summary_html(title: str, sections: dict[str, str]) -> str:
    """The note Zotero shows: the user's own sections, marked as written in paper-kb."""
    from kb.brief.labels import labels

    names = labels("en")
    parts = [f"<h1>{html.escape(title)}</h1>", "<p><em>Summary from paper-kb</em></p>"]
    for key in ("problem", "method", "results", "limitations", "questions"):
        if sections.get(key):
            paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>" for p in sections[key].split("\n\n") if p.strip())
            parts.append(f"<h2>{html.escape(names[key])}</h2>{paragraphs}")
    return "".join(parts)


def _summary_changes(store: Store, library: str, notes_dir: Path) -> list[Change]:
    from kb.brief import note_text

    out = []
    pushed = {r["paper_id"]: r for r in store.all("SELECT * FROM zotero_summaries WHERE library = ?", (library,))}
    for row in store.all(
        "SELECT p.id, p.title, p.citekey, p.zotero_key FROM papers p JOIN zotero_items z ON z.library = ? AND z.key = p.zotero_key "
        "WHERE p.zotero_library = ? ORDER BY p.id", (library, library)):
        # The same reading of the note as the brief's: the user's words placed by meaning, cards as text.
        content = note_text.read(notes_dir / f"{row['citekey']}.md", row["title"])
        sections = {key: "\n\n".join(blocks) for key, blocks in content.blocks.items() if blocks}
        if not sections:
            continue
        note = summary_html(row["title"], sections)
        previous = pushed.get(row["id"])
        if previous is None:
            out.append(Change("create_note", row["title"], paper_id=row["id"], key=row["zotero_key"], tags=[SUMMARY_TAG], note=note))
        elif previous["content_hash"] != _digest(note):
            out.append(Change("update_note", row["title"], paper_id=row["id"], key=previous["note_key"], tags=[SUMMARY_TAG], note=note))
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_payload(paper: papers.Paper, collection_key: str | None, tags: list[str]) -> dict[str, Any]:
    """A new Zotero item for a paper (built here: the local API has no /items/new template)."""
    creators = []
    for name in paper.authors:
        family = papers.family_name(name)
        given = name.replace(family, "").strip(" ,") if "," not in name else name.split(",", 1)[1].strip()
        creators.append({"creatorType": "author", "firstName": given, "lastName": family})
    data: dict[str, Any] = {
        "itemType": "preprint" if paper.arxiv_id and not paper.doi else "journalArticle",
        "title": paper.title, "creators": creators, "date": str(paper.year or ""), "url": paper.url or "",
        "abstractNote": paper.abstract or "", "tags": [{"tag": t} for t in tags],
        "collections": [collection_key] if collection_key else [],
    }
    if paper.doi:
        data["DOI"] = paper.doi
    if paper.arxiv_id:
        data["extra"] = f"arXiv: {paper.arxiv_id}"
        if data["itemType"] == "preprint":
            data["repository"] = "arXiv"
            data["archiveID"] = f"arXiv:{paper.arxiv_id}"
    return data


def apply_changes(store: Store, source: Any, changes: list[Change]) -> dict[str, int]:
    """Write the changes through a WebSource. Returns counts per action taken."""
    if not getattr(source, "can_write", lambda: False)():
        raise ReadOnly("this Zotero source cannot be written to",
                       "write-back needs the web API (an API key with write access) or Zotero 10's local API")
    library = source.library
    done = {"create_collection": 0, "create_item": 0, "set_tags": 0, "create_note": 0, "update_note": 0}
    collections: dict[str, str] = {r["name"]: r["key"] for r in store.all("SELECT name, key FROM zotero_collections WHERE library = ?", (library,))}
    for change in (c for c in changes if c.action == "create_collection"):
        collections[change.title] = source.create_collection(change.title)
        with store.tx():
            store.execute("INSERT OR IGNORE INTO zotero_collections (library, key, name) VALUES (?, ?, ?)", (library, collections[change.title], change.title))
        done["create_collection"] += 1
    creates = [c for c in changes if c.action == "create_item"]
    if creates:
        payload = [item_payload(papers.get(store, c.paper_id), collections.get(c.key or ""), c.tags) for c in creates]
        keys = source.create_items(payload)
        with store.tx():
            for change, key in zip(creates, keys):
                store.execute("UPDATE papers SET zotero_key = ?, zotero_library = ? WHERE id = ?", (key, library, change.paper_id))
        done["create_item"] += len(keys)
    updates = []
    for change in (c for c in changes if c.action == "set_tags"):
        row = store.one("SELECT version, data FROM zotero_items WHERE library = ? AND key = ?", (library, change.key))
        data = json.loads(row["data"])
        kept = [t for t in data.get("tags") or [] if not str(t.get("tag", "")).startswith(TAG_PREFIX)]
        updates.append({"key": change.key, "version": row["version"], "tags": kept + [{"tag": t} for t in change.tags]})
    if updates:
        source.update_items(updates)
        done["set_tags"] += len(updates)
    _apply_summaries(store, source, [c for c in changes if c.action in ("create_note", "update_note")], done)
    return {action: n for action, n in done.items() if n}


def _apply_summaries(store: Store, source: Any, changes: list[Change], done: dict[str, int]) -> None:
    from kb.papers import now_iso

    library = source.library
    new = [c for c in changes if c.action == "create_note"]
    if new:
        created = source.create_items_versioned(
            [{"itemType": "note", "parentItem": c.key, "note": c.note, "tags": [{"tag": t} for t in c.tags]} for c in new])
        with store.tx():
            for change, (key, version) in zip(new, created):
                store.execute("INSERT OR REPLACE INTO zotero_summaries (library, paper_id, note_key, version, content_hash, pushed_at) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (library, change.paper_id, key, version, _digest(change.note), now_iso()))
        done["create_note"] += len(created)
    edits = [c for c in changes if c.action == "update_note"]
    if edits:
        known = {r["note_key"]: r["version"] for r in store.all("SELECT note_key, version FROM zotero_summaries WHERE library = ?", (library,))}
        versions = source.update_items([{"key": c.key, "version": known.get(c.key), "note": c.note} for c in edits])
        with store.tx():
            for change in edits:
                store.execute("UPDATE zotero_summaries SET version = ?, content_hash = ?, pushed_at = ? WHERE library = ? AND note_key = ?",
                              (versions.get(change.key), _digest(change.note), now_iso(), library, change.key))
        done["update_note"] += len(edits)
