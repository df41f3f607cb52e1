"""The commands a user types: note, cards, review due/rate/undo/stats, export anki."""

import json
import sqlite3
import zipfile

import pytest

from tests.notes.conftest import note_text

NOW = "2025-06-02T09:00:00Z"


@pytest.fixture
def lora(store, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "What does LoRA freeze? :: the pretrained weights\n{{c1::LoRA}} adds {{c2::low-rank}} updates\nbroken ::"))
    store.close()  # the CLI opens its own connection
    return paper


def test_note_path_creates_from_template(cli, store, make_paper, home):
    make_paper()
    code, out, _ = cli("note", "hu2021lora", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] == str(home / "notes" / "hu2021lora.md") and data["highlights_added"] == 0
    assert "## Key results" in (home / "notes" / "hu2021lora.md").read_text(encoding="utf-8")


def test_note_opens_the_editor_and_syncs(cli, store, make_paper, home, monkeypatch, tmp_path):
    make_paper()
    script = tmp_path / "ed.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a', encoding='utf-8').write('\\nWhat is r? :: the rank\\n')\n")
    monkeypatch.setenv("VISUAL", f"python3 {script}")
    code, out, err = cli("note", "hu2021lora")
    assert code == 0, err
    assert out.strip().endswith("hu2021lora.md: 1 new, 0 edited card(s)")


def test_cards_list_and_check(cli, lora):
    code, out, _ = cli("cards", "hu2021lora", "--json", "--now", NOW)
    assert code == 0
    cards = json.loads(out)
    assert [(c["kind"], c["cloze_index"], c["front"], c["state"]) for c in cards] == [
        ("basic", None, "What does LoRA freeze?", "new"),
        ("cloze", 1, "[...] adds low-rank updates", "new"),
        ("cloze", 2, "LoRA adds [...] updates", "new"),
    ]
    code, out, _ = cli("cards", "--check")
    assert code == 1 and out.strip() == "hu2021lora.md:9: a card with only a question (nothing after '::'): broken ::"


def test_review_due_rate_undo_stats(cli, lora):
    code, out, _ = cli("review", "due", "--json", "--now", NOW)
    due = json.loads(out)
    assert code == 0 and [c["id"] for c in due] == [1, 2, 3]
    code, out, _ = cli("review", "rate", "1", "easy", "--json", "--now", NOW, "--duration-ms", "5000")
    rated = json.loads(out)
    assert code == 0 and rated["state"] == "review" and rated["interval_days"] >= 1
    code, out, err = cli("review", "rate", "2", "meh", "--now", NOW)
    assert code == 2 and "unknown rating 'meh'" in err
    code, out, _ = cli("review", "due", "--json", "--now", NOW)
    assert [c["id"] for c in json.loads(out)] == [2, 3]
    code, out, _ = cli("review", "stats", "--json", "--now", "2025-06-02T10:00:00Z")
    stats = json.loads(out)
    assert code == 0 and stats["reviews_today"] == 1 and stats["new_available"] == 2 and stats["streak"] == 1
    code, out, _ = cli("review", "stats", "--now", "2025-06-02T10:00:00Z")
    assert "streak           1 day(s)" in out and "Mon " in out
    code, out, _ = cli("review", "undo")
    assert out.strip() == "undid 'easy' on card 1"
    code, out, _ = cli("review", "undo")
    assert out.strip() == "nothing to undo"


def test_interactive_session(cli, lora):
    code, out, _ = cli("review", "--now", NOW, input="\n4\n\n3\nq\n")
    assert code == 0, out
    assert "What does LoRA freeze?" in out and "the pretrained weights" in out
    assert "→ review" in out and "Stopped after 2 review(s)." in out


def test_export_anki(cli, lora, home):
    conn = sqlite3.connect(home / "kb.sqlite")
    conn.execute("INSERT INTO plans (name) VALUES ('研0 计划')")
    conn.execute("INSERT INTO plan_items (plan_id, item_key, position, kind, text, paper_id) VALUES (1, 'k', 1, 'paper', 'LoRA', 1)")
    conn.commit()
    conn.close()
    target = home / "out" / "cards.apkg"
    code, out, err = cli("export", "anki", str(target), "--json", "--now", NOW)
    assert code == 0, err
    assert json.loads(out) == {"path": str(target), "decks": {"paper-kb::研0 计划": 2}, "notes": 2, "cards": 3}
    with zipfile.ZipFile(target) as z:
        z.extract("collection.anki2", home / "x")
    db = sqlite3.connect(home / "x" / "collection.anki2")
    fields = sorted(r[0] for r in db.execute("SELECT flds FROM notes"))
    assert fields == ["What does LoRA freeze?\x1fthe pretrained weights", "{{c1::LoRA}} adds {{c2::low-rank}} updates\x1fLoRA: Low-Rank Adaptation of Large Language Models"]
    assert db.execute("SELECT COUNT(*) FROM cards").fetchone()[0] == 3
    code, _, err = cli("export", "anki", str(home / "cards.txt"))
    assert code == 2 and ".apkg" in err
