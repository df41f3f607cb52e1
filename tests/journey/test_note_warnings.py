"""Problems in one note are not printed by every unrelated command (issue 13, small ones)."""

from __future__ import annotations


def _broken_note(run_kb) -> None:
    run_kb("demo", check=True)
    path = run_kb("note", "1", "--path", check=True).stdout.strip()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n\nHalf a card :: \n\n{{c1::unclosed\n")


def test_editing_another_note_does_not_print_this_notes_problems(run_kb):
    _broken_note(run_kb)
    out = run_kb("note", "2", env={"EDITOR": "true", "VISUAL": "true"}, check=True)
    assert "warning" not in out.stderr and "Half a card" not in out.stderr, out.stderr
    out = run_kb("note", "1", env={"EDITOR": "true", "VISUAL": "true"}, check=True)
    assert "Half a card" in out.stderr  # its own problems are still said, where they belong


def test_today_sums_up_note_problems_in_one_line(run_kb):
    _broken_note(run_kb)
    out = run_kb("today", check=True)
    warnings = [l for l in out.stderr.splitlines() if l.startswith("warning:")]
    assert warnings == ["warning: 2 problem(s) in your notes: see `kb cards --check`"], out.stderr
    assert "2 problem" in out.stderr and "Half a card" not in out.stderr
    assert "Half a card" in run_kb("cards", "--check").stdout

