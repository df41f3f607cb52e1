"""Terminal escapes in data (titles from Zotero, PDFs, plans) never reach the terminal (issue 13,
defect 2): kb/terminal_text.clean, used by the CLI's output and the TUI's plain text."""

from __future__ import annotations

import pytest

from kb.terminal_text import clean


@pytest.mark.parametrize("raw, shown", [
    ("plain [b]markup[/b] stays", "plain [b]markup[/b] stays"),
    ("\x1b[31mred\x1b[0m", "red"),
    ("title\x1b]0;window title\x07 end", "title end"),
    ("copy\x1b]52;c;cGF3bmVk\x1b\\ me", "copy me"),
    ("cursor\x1b[2J\x1b[H home", "cursor home"),
    ("over\rwrite\x08 and bell\x07", "overwrite and bell"),
    ("8-bit \x9b31m CSI", "8-bit  CSI"),
    ("注意力机制\t综述\n第二行", "注意力机制\t综述\n第二行"),
    ("unterminated \x1b]0;title", "unterminated "),
])
def test_clean(raw, shown):
    assert clean(raw) == shown


def test_terminal_escapes_in_titles_never_reach_the_terminal(home, run_kb):
    """Defect 2, CLI side: a title carrying escapes (OSC 52 writes the clipboard) is printed without them."""
    from kb import papers
    from kb.store import Store

    title = "Escapes \x1b[31mred\x1b[0m and \x1b]52;c;cGF3bmVk\x07 clipboard [b]x[/b]"
    with Store.open(home) as store:
        paper, _ = papers.upsert(store, title=title, year=2024, abstract="An \x1b[2Jabstract")
    for args in (("papers",), ("show", str(paper.id)), ("papers", "--activity")):
        out = run_kb(*args, check=True).stdout
        assert "\x1b" not in out and "\x07" not in out, (args, out)
        assert "Escapes red and" in out, (args, out)
    assert "\\u001b" in run_kb("papers", "--json", check=True).stdout  # JSON keeps the data, escaped


ESC_TITLE = "Low-Rank \x1b]0;pwned\x07Adaptation \x1b[31mof\x1b[0m Large Language Models"
SHOWN = "Low-Rank Adaptation of Large Language Models"


def test_add_graph_plan_and_repro_print_titles_without_their_escapes(cli, home):
    """Issue: `kb add`, `kb graph`, `kb plan` and `kb repro` printed titles (from Zotero, PDFs,
    plans) with plain echo, escapes and all: an OSC sequence sets the window title, OSC 52 writes
    the clipboard. Each command's title-bearing line goes through the escape-stripping output."""
    from kb import papers
    from kb.store import Store
    from reproductions import records, registry

    with Store.open(home) as store:
        lora, _ = papers.upsert(store, title=ESC_TITLE, arxiv_id="2106.09685", year=2021)
        qlora, _ = papers.upsert(store, title="QLoRA \x1b]52;c;cGF3bmVk\x07Efficient Finetuning", arxiv_id="2305.14314", year=2023)
        with store.tx():
            plan_id = store.execute("INSERT INTO plans (name, title, lang) VALUES ('llm', ?, 'en')",
                                    ("LLM \x1b]0;pwned\x07reading",)).lastrowid
            store.execute("INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, phase, week_label, week_start,"
                          " week_end, paper_id, done) VALUES (?, 'a', 1, 'paper', ?, ?, ?, ?, 1, 2, ?, 0)",
                          (plan_id, ESC_TITLE, ESC_TITLE, "Month \x1b]0;one\x07one", "Weeks \x1b[2J1-2", lora.id))
            store.execute("INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, week_start, week_end, done)"
                          " VALUES (?, 'b', 2, 'book', ?, ?, 1, 2, 0)", (plan_id, "Book \x1b]0;pwned\x07of LoRA", "Book \x1b]0;pwned\x07of LoRA"))
        run = records.create(store, registry.get("lora"), "tiny", {"model": "org/\x1b]0;pwned\x07model"}, 0, "cpu")
        records.finish(store, run, status="error", error="the model 'org/\x1b]0;pwned\x07model' could not be loaded")

    steps = [
        (("add", "arXiv:2106.09685"), SHOWN),  # the paper is in the library: "updated #1 <its title>"
        (("graph", str(lora.id)), SHOWN),
        (("graph", "link", str(lora.id), str(qlora.id)), "QLoRA Efficient Finetuning"),
        (("graph", "unlink", str(lora.id), str(qlora.id)), "QLoRA Efficient Finetuning"),
        (("graph", "unlink", str(qlora.id), str(lora.id)), "is not a prerequisite"),  # the error line quotes titles too
        (("plan", "show", "llm"), "LLM reading"),
        (("plan", "done", "of LoRA"), "Book of LoRA"),
        (("plan", "start", "llm", "2026-01-05"), "week 1 starts"),
        (("repro", "show", str(run)), "org/model"),
        (("repro", "runs", "--remove", str(run), "--yes"), "removed run"),
        # the same lines elsewhere: a paper's links, and removing a paper
        (("links", str(lora.id)), SHOWN),
        (("paper", "remove", str(qlora.id), "--yes"), "removed QLoRA Efficient Finetuning"),
    ]
    for args, visible in steps:
        code, out, err = cli(*args)
        both = out + err
        assert code in (0, 3), (args, code, both)
        assert "\x1b" not in both and "\x07" not in both, (args, both)
        assert visible in both, (args, both)
    code, out, err = cli("plan", "show", "llm")
    assert "Month one" in out and "Weeks 1-2" in out, out
