"""Note files, the template, sections, Zotero highlights and the editor command."""

import sys

import pytest

from kb.errors import KbError
from notes import editor, files, highlights
from notes.highlights import Highlight


def test_ensure_note_creates_once_and_never_overwrites(store, home, config, make_paper):
    paper = make_paper(abstract="We propose Low-Rank Adaptation, or LoRA, which freezes the pretrained model weights.", arxiv_id="2106.09685")
    path = files.ensure_note(store, home, config, paper)
    assert path == home / "notes" / "hu2021lora.md"
    text = path.read_text(encoding="utf-8")
    front = files.parse_front_matter(text)
    assert front.error is None
    assert front.data == {"paper_id": paper.id, "citekey": "hu2021lora", "zotero_key": None, "arxiv_id": "2106.09685", "status": "unread", "tags": []}
    assert "Edward J. Hu, Yelong Shen (2021)" in text and "> We propose Low-Rank Adaptation" in text
    sections = files.read_sections(path)
    assert list(sections) == ["Problem", "Method", "Key results", "Limitations", "Questions", "Connections"]
    assert set(sections.values()) == {""}
    path.write_text(text.replace("## Problem\n", "## Problem\n\nFine-tuning is expensive.\n"), encoding="utf-8")
    assert files.ensure_note(store, home, config, paper) == path
    assert files.read_sections(path)["Problem"] == "Fine-tuning is expensive."


def test_configured_notes_dir(store, home, config, make_paper, tmp_path):
    config["notes"]["dir"] = str(tmp_path / "vault")
    assert files.ensure_note(store, home, config, make_paper()) == tmp_path / "vault" / "hu2021lora.md"


def test_front_matter_problems_are_reported():
    assert files.parse_front_matter("---\na: [1\n---\nbody").error.startswith("front matter is not valid YAML")
    assert files.parse_front_matter("---\na: 1\nbody").error == "front matter has no closing '---' line"
    assert files.parse_front_matter("---\n- a\n---\n").error == "front matter is not a set of `key: value` lines"
    ok = files.parse_front_matter("---\ncitekey: x\n---\n## A\ntext")
    assert ok.data == {"citekey": "x"} and files.sections("---\ncitekey: x\n---\n## A\ntext\n```\n## not a heading\n```") == {"A": "text\n```\n## not a heading\n```"}


HL = [Highlight("AAAA1111", "low intrinsic rank", "key idea", "#ffd400", "3"), Highlight("BBBB2222", "r = 8 suffices", "", "#ff6666", "7")]


def test_highlights_append_once_under_their_heading():
    note = "# LoRA\n\n## Method\n\nmine\n"
    once, added = highlights.append_highlights(note, HL[:1])
    assert added == 1 and once.startswith(note.rstrip("\n"))
    assert once.endswith("## Highlights (from Zotero)\n\n- (p. 3 · yellow) “low intrinsic rank” — key idea <!-- zotero:AAAA1111 -->\n")
    twice, added = highlights.append_highlights(once + "\n## Later\n\nuser text\n", HL)
    assert added == 1
    assert twice.index("BBBB2222") < twice.index("## Later") and twice.count("AAAA1111") == 1
    assert "- (p. 7 · red) “r = 8 suffices” <!-- zotero:BBBB2222 -->" in twice
    assert highlights.append_highlights(twice, HL) == (twice, 0)


def test_import_highlights_from_the_annotations_table(store, home, config, make_paper):
    paper = make_paper()
    path = files.ensure_note(store, home, config, paper)
    assert store.scalar("SELECT 1 FROM sqlite_master WHERE name = 'annotations'")
    for i, (key, text, page) in enumerate((("K2", "second", "5"), ("K1", "first", "2"))):
        store.execute(
            "INSERT INTO annotations (paper_id, library, zotero_key, type, text, color, page_label, sort_index) VALUES (?, 'local', ?, 'highlight', ?, '#5fb236', ?, ?)",
            (paper.id, key, text, page, f"0000{page}|000000|00000"),
        )
    assert highlights.import_highlights(store, path, paper) == 2
    text = path.read_text(encoding="utf-8")
    assert text.index("“first”") < text.index("“second”") and "(p. 2 · green)" in text
    assert highlights.import_highlights(store, path, paper) == 0


def test_editor_resolution_order():
    env = {"VISUAL": "code --wait", "EDITOR": "vim"}
    assert editor.editor_command(None, env) == ["code", "--wait"]
    assert editor.editor_command("'my editor' -n", env) == ["my editor", "-n"]
    assert editor.editor_command(None, {"EDITOR": "emacs -nw"}) == ["emacs", "-nw"]
    assert editor.editor_command(None, {"VISUAL": "  "}) == editor.default_editor()


def test_open_in_editor_runs_without_a_shell(tmp_path):
    target = tmp_path / "a note; rm -rf x.md"
    record = tmp_path / "args.txt"
    script = f"import sys; open({str(record)!r}, 'w').write(repr(sys.argv[1:]))"
    editor.open_in_editor(target, f"{sys.executable} -c \"{script}\"")
    assert record.read_text() == repr([str(target)])
    with pytest.raises(KbError, match="not found"):
        editor.open_in_editor(target, "no-such-editor-xyz")
    with pytest.raises(KbError, match="status 3"):
        editor.open_in_editor(target, f"{sys.executable} -c \"raise SystemExit(3)\"")
