"""The shortcuts a cold sync of a large library takes must not change a single result: simple
front matter read without YAML, the card parser's cheap checks before its regexes, and
reconciling a note whose cards all read as stored without the fuzzy matcher."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from kb.errors import KbError
from notes import cards, files, sync, template
from tests.notes.conftest import T0, note_text


def _typed(value):
    """value with every scalar's type made part of it (True == 1 otherwise)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def _yaml(raw: str, loader=yaml.SafeLoader):
    try:
        return yaml.load(raw, Loader=loader)
    except yaml.YAMLError:
        return "error"


KEYS = ["paper_id", "citekey", "tags", "status", "a", "_x", "x-y", "x.y", "y", "n", "yes", "No", "on", "null", "Null",
        "true", "1", "a b", "é", "<<", "~", "-a", "?", "&a"]
SCALARS = ["1", "0", "-0", "-12", "+1", "01", "0o7", "0x1F", "1_000", "1.5", "1e3", ".5", "1.", "2021-01-01", "12:30", "~",
           "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "y", "n", "on", "OFF", "true", "False", ".inf",
           "inf", "nan", ".NaN", "unread", "read later", "a  b", "hu2021lora", "a/b", "v1.2", "x-y", "_", "-", "- a",
           "a #b", "a# b", "#c", "a: b", "a:b", "'a'", "'a''b'", "'a'b'", "''", "'", '"a"', '"a\\nb"', '""', '"a\'b"',
           "'a, b'", '"x,y"', "&a", "*a", "!!str 1", "|", ">", "@x", "`x", "%x", "=", "<<", "é", "a\tb", "[", "]", "{}",
           "{a: b}", "?", "a ", " a"]
SEQUENCES = st.lists(st.sampled_from(SCALARS + ["", " "]), max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
VALUES = st.one_of(st.sampled_from(SCALARS), SEQUENCES, st.sampled_from(["[]", "[ ]", "[a,]", "[a,,b]", "[[a]]", "[a] x", "[a, b"]),
                   st.text(max_size=12))
LINES = st.one_of(
    st.tuples(st.sampled_from(KEYS), st.sampled_from([": ", ":", ":  ", " : ", ":\t"]), VALUES, st.sampled_from(["", " ", "  ", " # c"]))
    .map("".join),
    st.sampled_from(["", " ", "# a comment", "  # indented comment", "  indented: 1", "---", "...", "%YAML 1.1", "key:", "tags:",
                     "\t", "-", "- ", "-a", "- - a", "  -", "\t- a"]),
    st.tuples(st.sampled_from(["- ", "  - ", "    - ", " -  ", "-\t"]), VALUES).map("".join),
    st.text(max_size=20),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(LINES, min_size=1, max_size=8).map("\n".join))
def test_simple_front_matter_is_yaml_or_declines(raw):
    fast = files.simple_front_matter(raw)
    if fast is not None:
        for loader in {yaml.SafeLoader, files._YAML_LOADER}:  # the reference, and libyaml's where sync uses it
            expected = _yaml(raw, loader)
            assert expected != "error", raw
            assert _typed(fast) == _typed(expected or {}), raw


def test_front_matter_notes_are_written_with_takes_the_fast_path(make_paper):
    paper = make_paper(arxiv_id="2106.09685")
    for tags in ([], ["to-read", "lora"]):
        text = template.render(paper, tags=tags)
        raw = text.split("---\n")[1]
        assert files.simple_front_matter(raw) is not None
        assert files.parse_front_matter(text).data == yaml.safe_load(raw)
    raw = "paper_id: 7\ncitekey: vaswani2017attention\ntags: [bench, 'two words', 3]\nstatus: read later\nstarred: yes\nzotero_key:\n"
    assert files.simple_front_matter(raw) == yaml.safe_load(raw)


def test_front_matter_beyond_the_fast_path_still_goes_to_yaml():
    for raw, expected in [("year: 2021-06-17", {"year": __import__("datetime").date(2021, 6, 17)}), ("score: 1.5", {"score": 1.5}),
                          ("links:\n  arxiv: x", {"links": {"arxiv": "x"}}), ("title: \"A \\\"quoted\\\" title\"", {"title": 'A "quoted" title'}),
                          ("yes: 1", {True: 1}), ("octal: 010", {"octal": 8}), ("title: Über", {"title": "Über"})]:
        assert files.simple_front_matter(raw) is None
        assert files.parse_front_matter(f"---\n{raw}\n---\nbody").data == expected
    assert files.parse_front_matter("---\na: [1\n---\nbody").error.startswith("front matter is not valid YAML")
    assert files.parse_front_matter("---\n- a\n---\n").error == "front matter is not a set of `key: value` lines"


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(list(" \t\u00a0\u3000\u2003\x1c#`~<!-:?abc{}1.") + ["```", "~~~", "<!--", "{{c1::"]),
                         max_size=12).map("".join), st.text(max_size=20)))
def test_card_parser_prefilters_are_necessary_conditions(line):
    """Each regex the parser skips on a cheap check could not have matched: `\\s` and strip() agree
    on what is whitespace, a fence or heading starts with its mark, and a card needs a colon."""
    stripped = line.strip()
    if cards.FENCE_RE.match(line):
        assert stripped[:1] in ("`", "~")
    if cards.HEADING_RE.match(line):
        assert stripped[:1] == "#"
    if ":" not in line:
        found: list = []
        issues: list = []
        assert not cards._line_cards(1, line, found, issues) and not found and not issues


def _cards(store):
    return [dict(r) for r in store.all("SELECT * FROM cards ORDER BY id")]


def test_forced_sync_of_unchanged_notes_writes_no_card(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q1 :: A1\nQ1 :: A1\n{{c1::LoRA}} and {{c2::QLoRA}}\nWhy?\n?\nBecause."))
    first = sync.sync_notes(store, home, config, T0)
    assert (first.cards_new, first.parsed) == (5, 1)
    before = _cards(store)
    again = sync.sync_notes(store, home, config, T0.replace(hour=10), force=True)
    assert (again.parsed, again.cards_new, again.cards_edited, again.cards_suspended, again.cards_restored) == (1, 0, 0, 0, 0)
    assert _cards(store) == before


def test_reordered_and_duplicated_cards_keep_their_ids(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q1 :: A1\nQ2 :: A2\nQ1 :: A1"))
    sync.sync_notes(store, home, config, T0)
    ids = {(r["front"], r["line"]): r["id"] for r in _cards(store)}
    write_note("hu2021lora.md", note_text(paper, "Q2 :: A2\nQ1 :: A1\nQ1 :: A1"))  # same keys, another order
    report = sync.sync_notes(store, home, config, T0)
    assert (report.cards_new, report.cards_edited, report.cards_suspended) == (0, 0, 0)
    after = {(r["front"], r["line"]): r["id"] for r in _cards(store)}
    assert ids == {("Q1", 7): 1, ("Q2", 8): 2, ("Q1", 9): 3}
    assert after == {("Q2", 7): 2, ("Q1", 8): 1, ("Q1", 9): 3}


def test_cards_of_a_note_that_comes_to_name_its_paper(store, home, config, make_paper, write_note):
    """Cards kept with the note path (no known paper) join the paper's once the note names it."""
    write_note("lora.md", "Q1 :: A1\nQ2 :: A2\n")
    sync.sync_notes(store, home, config, T0)
    assert {r["paper_id"] for r in _cards(store)} == {None}
    paper = make_paper()
    write_note("lora.md", f"---\npaper_id: {paper.id}\n---\nQ1 :: A1\nQ2 :: A2\nQ3 :: A3\n")
    report = sync.sync_notes(store, home, config, T0)
    assert (report.cards_new, report.cards_suspended) == (1, 0)
    assert [(r["id"], r["paper_id"], r["line"]) for r in _cards(store)] == [(1, paper.id, 4), (2, paper.id, 5), (3, paper.id, 6)]


def test_hidden_and_nested_notes(store, home, config, make_paper, write_note, notes_root):
    paper = make_paper()
    write_note("sub/hu2021lora.md", note_text(paper, "Q :: A"))
    write_note(".trash/old.md", "Old :: card")
    write_note("sub/.draft.md", "Draft :: card")
    write_note("a.md", "Top :: card")
    (notes_root / "folder.md").mkdir()
    report = sync.sync_notes(store, home, config, T0)
    assert report.notes == 2
    assert [r["note_path"] for r in _cards(store)] == ["a.md", "sub/hu2021lora.md"]


def test_reconcile_reads_stored_cards_by_position():
    names = sync._CARD_COLUMN_NAMES
    assert names[sync._UNCHANGED_SLICE] == ("suspended", "key", "line", "source", "note_path", "paper_id", "front", "back")
    assert [names[i] for i in (sync._ID, sync._SUSPENDED, sync._KEY, sync._NOTE_PATH, sync._PAPER_ID)] == ["id", "suspended", "key", "note_path", "paper_id"]


def _rglob_listing(root):
    """What sync listed before it walked the folder itself."""
    paths = sorted(p for p in root.rglob("*.md") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    return [(p, p.relative_to(root).as_posix()) for p in paths]


def test_note_listing_is_what_rglob_finds(tmp_path, monkeypatch):
    import os

    root = tmp_path / "notes"
    for rel in ["a.md", "B.md", "b.MD", ".md", ".h.md", "x/y.md", "x/.z.md", ".hid/q.md", "x/y/z/w.md", "a-b.md", "a.b.md", "a/b.md",
                "a0.md", "ab/c.md", "x.mdx", "é.md", "x y/z.md", "dir.md/in.md"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("t", encoding="utf-8")
    if hasattr(os, "symlink"):
        os.symlink(root / "a.md", root / "link.md")
        os.symlink(root / "x", root / "linkdir")  # not entered, as rglob does not
        os.symlink(root / "x", root / "linkdir.md")
        os.symlink(root / "nope.md", root / "broken.md")
    expected = _rglob_listing(root)
    assert [(p, rel) for p, rel, _ in sync._note_files(root)] == expected
    assert [rel for _, rel in expected][:4] == ["B.md", "a/b.md", "a-b.md", "a.b.md"]  # path order, by parts
    monkeypatch.chdir(root)
    assert [(p, rel) for p, rel, _ in sync._note_files(sync.Path("."))] == _rglob_listing(sync.Path("."))
    assert sync._note_files(tmp_path / "absent") == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "é", "\r\n", "\r", "\n", "\ufeff", "\x00", "x :: y"]), max_size=12).map("".join),
       st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff", b"\xef\xbb"]))
def test_read_text_reads_as_path_read_text(tmp_path_factory, text, prefix):
    path = tmp_path_factory.mktemp("n") / "note.md"
    path.write_bytes(prefix + text.encode("utf-8"))
    try:
        expected = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        expected = None
    if expected is None:
        with pytest.raises(KbError, match="not UTF-8"):
            files.read_text(path)
    else:
        assert files.read_text(path) == expected


def test_text_added_above_moves_cards_without_touching_their_identity(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q1 :: A1\n{{c1::LoRA}} freezes weights"))
    sync.sync_notes(store, home, config, T0)
    before = _cards(store)
    write_note("hu2021lora.md", note_text(paper, "## Method\n\nSome prose.\n\nQ1 :: A1\n{{c1::LoRA}} freezes weights"))
    report = sync.sync_notes(store, home, config, T0.replace(hour=11))
    assert (report.cards_new, report.cards_edited, report.cards_suspended, report.cards_restored) == (0, 0, 0, 0)
    after = _cards(store)
    assert [(r["id"], r["key"], r["updated_at"]) for r in after] == [(r["id"], r["key"], r["updated_at"]) for r in before]
    assert [r["line"] - b["line"] for r, b in zip(after, before)] == [4, 4]


def test_a_paper_id_of_digits_int_refuses_falls_back_to_the_citekey(store, home, config, make_paper, write_note):
    """`paper_id: "²"` (str.isdigit() but not int()) or a number past SQLite's integers in a note's
    front matter: the note is matched by its citekey, not a ValueError out of `kb today` / `kb review`."""
    lora = make_paper()
    bert = make_paper("BERT: Pre-training of Deep Bidirectional Transformers", authors=["Jacob Devlin"], year=2019)
    write_note("a.md", f'---\npaper_id: "²"\ncitekey: {lora.citekey}\n---\nQ1 :: A1\n')
    write_note("b.md", f'---\npaper_id: "{10**30}"\ncitekey: {bert.citekey}\n---\nQ2 :: A2\n')
    report = sync.sync_notes(store, home, config, T0)
    assert report.cards_new == 2, report.issues
    assert {r["front"]: r["paper_id"] for r in _cards(store)} == {"Q1": lora.id, "Q2": bert.id}
