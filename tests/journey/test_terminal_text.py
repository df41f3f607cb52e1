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
