"""[[citekey]] links in notes: parsed outside code, checked by `kb cards --check`, backlinks, and
graph edges marked as the user's."""

from __future__ import annotations

import json

from notes import links, sync
from tests.notes.conftest import T0, note_text


def test_parse_links_aliases_headings_not_code_or_embeds():
    text = ("---\nrelated: [[not-here]]\n---\nBuilds on [[vaswani2017attention]] and [[hu2021lora|LoRA]].\n"
            "See [[devlin2019bert#Pre-training]]; ![[figure.png]] is an embed.\n"
            "```\n[[in-code]]\n```\nand `[[inline]]` too, [[ spaced ]].\n")
    found = [(l.target, l.line) for l in links.parse(text)]
    assert found == [("vaswani2017attention", 4), ("hu2021lora", 4), ("devlin2019bert", 5), ("spaced", 9)]


def test_links_check_backlinks_and_graph(cli, store, home, config, make_paper, write_note):
    lora = make_paper()
    tf = make_paper("Attention Is All You Need", authors=["Ashish Vaswani"], year=2017)
    write_note(f"{lora.citekey}.md", note_text(lora, f"Adapts [[{tf.citekey}|the Transformer]].\n\nAlso [[nosuch2020paper]] and [[attention]]."))
    write_note("attention.md", "# Attention\n\nA concept note, not a paper.\n")
    code, out, _ = cli("cards", "--check", "--json")
    issues = json.loads(out)
    assert code == 1 and [i["problem"] for i in issues if "link" in i["problem"]] == [
        "a link to an unknown paper: [[nosuch2020paper]] (no paper has this citekey; see `kb papers`)"]
    code, out, _ = cli("links", tf.citekey, "--json")
    data = json.loads(out)
    assert code == 0 and [b["citekey"] for b in data["backlinks"]] == [lora.citekey]
    code, out, _ = cli("graph", tf.citekey, "--json")
    (child,) = json.loads(out)["built_upon_by"]
    assert child["id"] == lora.id and child["kinds"] == ["link"] and child["origin"] == "user"
    code, out, _ = cli("graph", lora.citekey)
    assert "Attention Is All You Need (2017)" in out and "[your link]" in out
    from kb.graph import neighbours

    assert [n["id"] for n in neighbours(store, tf.id)["linked_from"]] == [lora.id]
    # The link leaves with the text: edit it out and the edge is gone.
    write_note(f"{lora.citekey}.md", note_text(lora, "No links now."))
    sync.sync_notes(store, home, config, T0)
    assert neighbours(store, tf.id)["linked_from"] == []


def test_a_link_to_a_paper_added_later_resolves(cli, store, home, config, make_paper, write_note):
    lora = make_paper()
    write_note(f"{lora.citekey}.md", note_text(lora, "See [[dettmers2023qlora]]."))
    code, out, _ = cli("cards", "--check")
    assert code == 1 and "[[dettmers2023qlora]]" in out
    make_paper("QLoRA: Efficient Finetuning of Quantized LLMs", authors=["Tim Dettmers"], year=2023)
    code, out, _ = cli("cards", "--check")
    assert code == 0, out


def test_an_edge_from_a_link_in_a_note_can_be_unlinked_and_the_note_is_left_alone(cli, store, home, config, make_paper,
                                                                                  write_note):
    """`kb graph unlink` of an edge that a [[link]] in a note made said "is not a prerequisite"
    while `kb graph` drew the edge (stop 22). It hides the edge now, and says that the link
    stays in the note, which is never rewritten; `kb graph link` draws it again."""
    lora = make_paper()
    tf = make_paper("Attention Is All You Need", authors=["Ashish Vaswani"], year=2017)
    note = write_note(f"{lora.citekey}.md", note_text(lora, f"Adapts [[{tf.citekey}|the Transformer]]."))
    before = note.read_bytes()
    sync.sync_notes(store, home, config, T0)
    code, out, _ = cli("graph", tf.citekey, "--json")
    assert [c["id"] for c in json.loads(out)["built_upon_by"]] == [lora.id]

    code, out, err = cli("graph", "unlink", tf.citekey, lora.citekey, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["unlinked"] is True and data["note"]["line"] >= 1 and data["note"]["note_path"].endswith(".md")
    code, out, _ = cli("graph", tf.citekey, "--json")
    assert json.loads(out)["built_upon_by"] == []
    assert note.read_bytes() == before
    sync.sync_notes(store, home, config, T0)  # the next sync reads the link again: still hidden
    code, out, _ = cli("graph", tf.citekey, "--json")
    assert json.loads(out)["built_upon_by"] == []
    code, out, err = cli("graph", "unlink", tf.citekey, lora.citekey)
    assert code == 3 and "is not a prerequisite" in err

    code, out, _ = cli("graph", "link", tf.citekey, lora.citekey)
    assert code == 0
    code, out, _ = cli("graph", tf.citekey, "--json")
    assert [c["id"] for c in json.loads(out)["built_upon_by"]] == [lora.id]
    code, out, _ = cli("graph", "unlink", tf.citekey, lora.citekey)
    assert code == 0 and "stays in your note" in out
