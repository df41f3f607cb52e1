"""Notes on disk → cards: identity across edits, suspension instead of deletion, bad notes."""

from datetime import timedelta

from notes import identity, review, sync
from notes.cards import parse_cards
from tests.notes.conftest import T0, note_text


def _cards(store):
    return {r["id"]: dict(r) for r in store.all("SELECT * FROM cards ORDER BY id")}


def test_identity_same_edited_new_gone():
    old = parse_cards("What does LoRA freeze? :: the pretrained weights\nWhat is r? :: the rank\nWho wrote it? :: Hu et al.")
    stored = [identity.StoredCard(i + 1, c.kind, c.key, c.cloze_index, c.text, c.line) for i, c in enumerate(old)]
    new = parse_cards("Intro line\nWhat is r? :: the rank\nWhat does LoRA freze? :: the pretrained weights\nWhy does it work? :: low intrinsic rank")
    m = identity.match(stored, new)
    assert [(i, c.front) for i, c in m.same] == [(2, "What is r?")]
    assert [(i, c.front) for i, c in m.edited] == [(1, "What does LoRA freze?")]
    assert [c.front for c in m.new] == ["Why does it work?"]
    assert m.gone == [3]


def test_cloze_keeps_identity_when_another_cloze_is_added():
    old = parse_cards("{{c1::LoRA}} freezes the pretrained weights")
    stored = [identity.StoredCard(7, "cloze", old[0].key, 1, old[0].text, 1)]
    m = identity.match(stored, parse_cards("{{c1::LoRA}} freezes the {{c2::pretrained weights}}"))
    # c1 reads the same with c2 revealed, so it is the very same card.
    assert [(i, c.cloze_index) for i, c in m.same] == [(7, 1)]
    assert [c.cloze_index for c in m.new] == [2]


def test_edits_keep_history_rewrites_start_afresh(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "What does LoRA freeze? :: the pretrained weights\nWhat is r? :: the rank"))
    report = sync.sync_notes(store, home, config, T0)
    assert (report.cards_new, report.parsed) == (2, 1)
    first, second = _cards(store)
    review.rate(store, first, "good", T0)
    # Text added around, a typo fixed in card 1, card 2 rewritten completely.
    write_note("hu2021lora.md", note_text(paper, "## Method\n\nSome prose.\n\nWhat does LoRA freeze?? :: the pre-trained weights\n"
                                                  "How many parameters does GPT-3 have? :: 175B"))
    report = sync.sync_notes(store, home, config, T0 + timedelta(hours=1))
    assert (report.cards_new, report.cards_edited, report.cards_suspended) == (1, 1, 1)
    cards = _cards(store)
    assert cards[first]["front"] == "What does LoRA freeze??" and cards[first]["suspended"] == 0
    assert cards[second]["suspended"] == 1 and cards[second]["suspended_reason"] == sync.REMOVED
    assert store.scalar("SELECT COUNT(*) FROM review_log WHERE card_id = ?", (first,)) == 1
    assert len(cards) == 3


def test_unchanged_notes_are_not_parsed_again(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q :: A"))
    assert sync.sync_notes(store, home, config, T0).parsed == 1
    again = sync.sync_notes(store, home, config, T0)
    assert (again.notes, again.parsed, again.cards_new) == (1, 0, 0)


def test_deleted_note_suspends_and_renamed_note_restores(store, home, config, make_paper, write_note, notes_root):
    paper = make_paper()
    path = write_note("hu2021lora.md", note_text(paper, "Q1 :: A1\nQ2 :: A2"))
    sync.sync_notes(store, home, config, T0)
    review.rate(store, 1, "easy", T0)
    path.unlink()
    report = sync.sync_notes(store, home, config, T0)
    assert report.cards_suspended == 2
    assert {r["suspended_reason"] for r in _cards(store).values()} == {sync.NOTE_MISSING}
    assert review.due_cards(store, T0 + timedelta(days=365)) == []
    assert store.scalar("SELECT COUNT(*) FROM review_log") == 1  # history kept
    # The user brings it back under another name: the front matter still names the paper.
    write_note("lora-notes.md", note_text(paper, "Q1 :: A1\nQ2 :: A2"))
    report = sync.sync_notes(store, home, config, T0)
    assert (report.cards_restored, report.cards_new) == (2, 0)
    assert {r["note_path"] for r in _cards(store).values()} == {"lora-notes.md"}
    assert store.scalar("SELECT state FROM card_state WHERE card_id = 1") == 2


def test_two_notes_claiming_one_paper(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", note_text(paper, "Q1 :: A1"))
    write_note("copy.md", note_text(paper, "Other :: card"))
    report = sync.sync_notes(store, home, config, T0)
    assert [str(i) for i in report.issues] == [
        "copy.md: claims the same paper (hu2021lora) as hu2021lora.md; its cards are ignored until one of them is renamed or its front matter fixed"
    ]
    assert [r["front"] for r in _cards(store).values()] == ["Q1"]
    assert sync.sync_notes(store, home, config, T0).issues == report.issues


def test_broken_front_matter_falls_back_to_file_name(store, home, config, make_paper, write_note):
    paper = make_paper()
    write_note("hu2021lora.md", "---\npaper_id: [1\n---\nQ :: A\n")
    write_note("orphan.md", "Free :: note\n")
    report = sync.sync_notes(store, home, config, T0)
    problems = sorted(str(i).split(" (")[0] for i in report.issues)
    assert problems == ["hu2021lora.md:1: front matter is not valid YAML", "orphan.md: the note names no known paper"]
    cards = _cards(store)
    assert [(c["paper_id"], c["note_path"]) for c in cards.values()] == [(paper.id, "hu2021lora.md"), (None, "orphan.md")]


def test_not_utf8_note_is_reported(store, home, config, write_note, notes_root):
    notes_root.mkdir(parents=True, exist_ok=True)
    (notes_root / "bad.md").write_bytes(b"\xff\xfe\x00bad :: \x99")
    report = sync.sync_notes(store, home, config, T0)
    assert [i.problem.startswith("the note") and "UTF-8" in i.problem for i in report.issues] == [True]


def test_note_issues_for_one_paper(store, home, config, make_paper, write_note):
    lora = make_paper()
    other = make_paper("Attention Is All You Need", authors=["Ashish Vaswani"], year=2017)
    write_note(f"{lora.citekey}.md", note_text(lora, "Q ::"))
    write_note(f"{other.citekey}.md", note_text(other, "{{c1::x"))
    issues = sync.note_issues(store, home, config, lora.id, T0)
    assert [(i.path, i.line) for i in issues] == [(f"{lora.citekey}.md", 7)]
