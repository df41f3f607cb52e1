"""A Zotero collection as a reading plan: its items in order, a subcollection per section."""

from __future__ import annotations

from typing import Any

from kb.errors import Ambiguous, NotFound
from kb.store import Store
from kb.zotero.model import REGULAR_ITEM


def find_collection(store: Store, name: str) -> Any:
    rows = store.all("SELECT * FROM zotero_collections WHERE name = ? COLLATE NOCASE", (name.strip(),))
    if not rows:
        known = ", ".join(r["name"] for r in store.all("SELECT DISTINCT name FROM zotero_collections ORDER BY name LIMIT 10"))
        raise NotFound(f"no Zotero collection named {name!r}", f"known: {known}" if known else "run `kb sync` first")
    if len(rows) > 1:
        where = ", ".join(f"{r['library']}/{r['key']}" for r in rows)
        raise Ambiguous(f"{len(rows)} collections are named {name!r} ({where})", "rename one in Zotero")
    return rows[0]


def _members(store: Store, library: str, collection_key: str, section: str | None) -> list[tuple[Any, str | None]]:
    items = store.all(
        "SELECT z.* FROM zotero_collection_items c JOIN zotero_items z ON z.library = c.library AND z.key = c.item_key "
        f"WHERE c.library = ? AND c.collection_key = ? AND z.{REGULAR_ITEM} "
        "ORDER BY json_extract(z.data, '$.dateAdded'), z.key", (library, collection_key))
    out = [(z, section) for z in items]
    for sub in store.all("SELECT * FROM zotero_collections WHERE library = ? AND parent_key = ? ORDER BY name", (library, collection_key)):
        out += _members(store, library, sub["key"], sub["name"])
    return out


def plan_from_collection(store: Store, name: str) -> dict[str, Any]:
    """Create or refresh the plan named after the collection. Returns {plan, items, added, removed}."""
    coll = find_collection(store, name)
    members = _members(store, coll["library"], coll["key"], None)
    source = f"zotero:{coll['library']}/{coll['key']}"
    with store.tx():
        plan = store.one("SELECT * FROM plans WHERE name = ?", (coll["name"],))
        if plan is None:
            plan_id = store.execute("INSERT INTO plans (name, title, source_path, lang) VALUES (?, ?, ?, 'en')",
                                    (coll["name"], coll["name"], source)).lastrowid
        else:
            plan_id = plan["id"]
            store.execute("UPDATE plans SET source_path = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?", (source, plan_id))
        before = {r["item_key"] for r in store.all("SELECT item_key FROM plan_items WHERE plan_id = ?", (plan_id,))}
        keys = []
        for position, (z, section) in enumerate(members, start=1):
            item_key = f"zotero:{z['key']}"
            keys.append(item_key)
            store.execute(
                "INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, section, doi, arxiv_id, paper_id) "
                "VALUES (?, ?, ?, 'paper', ?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id, item_key) DO UPDATE SET position = excluded.position, "
                "text = excluded.text, title = excluded.title, section = excluded.section, doi = excluded.doi, "
                "arxiv_id = excluded.arxiv_id, paper_id = excluded.paper_id",
                (plan_id, item_key, position, z["title"], z["title"], section, z["doi"], z["arxiv_id"], z["paper_id"]),
            )
        removed = before - set(keys)
        for item_key in removed:
            store.execute("DELETE FROM plan_items WHERE plan_id = ? AND item_key = ?", (plan_id, item_key))
    return {"plan": coll["name"], "plan_id": plan_id, "items": len(keys), "added": len(set(keys) - before), "removed": len(removed)}
