"""Export the cards to an Anki package (.apkg) with genanki, to review on a phone.

One deck per reading plan (`paper-kb::<plan>`; papers in no plan go to `paper-kb::Unplanned`).
Basic cards become Basic notes; the cloze cards of one sentence become one Cloze note. Note
GUIDs derive from card ids, so exporting again updates the notes already imported into Anki.
"""

from __future__ import annotations

import html
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import genanki

from kb.errors import BadInput, KbError
from kb.store import Store

ROOT_DECK = "paper-kb"
UNPLANNED = "Unplanned"


@dataclass
class ExportReport:
    path: Path
    decks: dict[str, int] = field(default_factory=dict)  # deck name → notes
    notes: int = 0
    cards: int = 0  # paper-kb cards exported (a cloze note can hold several)


def export_apkg(store: Store, path: Path | str, plan: str | None = None) -> ExportReport:
    path = Path(path)
    if path.suffix.lower() != ".apkg":
        raise BadInput(f"{path.name} is not an .apkg file name", "name the file like cards.apkg")
    rows = _exportable(store, plan)
    if not rows:
        raise KbError("there are no cards to export" + (f" in plan {plan!r}" if plan else ""), "write cards in your notes (`kb note PAPER`)")
    decks: dict[str, genanki.Deck] = {}
    report = ExportReport(path)
    clozes: dict[tuple, list] = defaultdict(list)
    for row in rows:
        deck_name = f"{ROOT_DECK}::{row['plan'] or UNPLANNED}"
        deck = decks.get(deck_name) or decks.setdefault(deck_name, genanki.Deck(_stable_id(deck_name), deck_name))
        if row["kind"] == "cloze":
            clozes[(deck_name, row["paper_id"], row["note_path"], row["source"])].append(row)
            continue
        deck.add_note(genanki.Note(
            model=genanki.BASIC_MODEL, fields=[_html(row["front"]), _html(row["back"])],
            tags=_tags(row), guid=genanki.guid_for(ROOT_DECK, row["id"]),
        ))
        report.cards += 1
    for (deck_name, _, _, source), group in clozes.items():
        decks[deck_name].add_note(genanki.Note(
            model=genanki.CLOZE_MODEL, fields=[_html(source), _html(group[0]["title"] or "")],
            tags=_tags(group[0]), guid=genanki.guid_for(ROOT_DECK, "cloze", min(r["id"] for r in group)),
        ))
        report.cards += len(group)
    for name, deck in decks.items():
        report.decks[name] = len(deck.notes)
    report.notes = sum(report.decks.values())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        genanki.Package(list(decks.values())).write_to_file(str(path))
    except OSError as exc:
        raise KbError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return report


def _exportable(store: Store, plan: str | None) -> list:
    # A paper in several plans goes to the deck of the plan it was first imported with.
    rows = store.all(
        "SELECT c.id, c.kind, c.front, c.back, c.source, c.paper_id, c.note_path, p.citekey, p.title, "
        "(SELECT pl.name FROM plan_items pi JOIN plans pl ON pl.id = pi.plan_id WHERE pi.paper_id = c.paper_id ORDER BY pl.id LIMIT 1) AS plan "
        "FROM cards c LEFT JOIN papers p ON p.id = c.paper_id WHERE c.suspended = 0 ORDER BY c.paper_id, c.line, c.id"
    )
    if plan is not None:
        rows = [r for r in rows if r["plan"] == plan]
    return rows


def _stable_id(name: str) -> int:
    # Anki wants 31-bit-ish positive ids; a CRC of the name keeps them stable across exports.
    return (1 << 30) + zlib.crc32(name.encode("utf-8"))


def _html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _tags(row) -> list[str]:
    return [f"{ROOT_DECK}::{row['citekey']}"] if row["citekey"] else [ROOT_DECK]
