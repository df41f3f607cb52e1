"""A run's verdict banner and its claim table, sized to the screen so nothing scrolls sideways.

Claim rows come from the run record's `details["claims"]`: `check`, `paper`, `measured`, `held`,
and optionally `naive` (the naive variant, as text) with `naive_held`; the naive column appears
only when some row has one. Cells wrap inside their column instead of widening the table.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from tui.plain import join, plain
from tui.widgets.status import verdict_text

HELD = {True: ("✔ yes", "green"), False: ("✘ no", "bold red")}
HELD_WIDTH = 6
# Shares of the room left once the held column is placed: the check and the paper's words are
# the longest; measured numbers are short.
SHARES = {"check": 0.36, "paper": 0.26, "measured": 0.18, "naive": 0.20}
HEADERS = {"check": "check", "paper": "paper says", "measured": "measured", "held": "held", "naive": "naive variant"}


def banner(record: dict) -> Text:
    """`✔ claim held · kd (tiny) · run #3 · cpu · 12.3 s`, plus the reason for an error."""
    from reproductions.records import verdict

    v = verdict(record)
    text = verdict_text(v)
    text.stylize("bold")
    text = join(text, "  ·  ", f"{record.get('reproduction', '')} ({record.get('preset', '')})",
                f" · run #{record.get('run_id', '')}")
    if record.get("device"):
        text.append(f" · {record['device']}")
    if record.get("seconds"):
        text.append(f" · {record['seconds']:.1f} s")
    if v in ("error", "cancelled", "crashed") and record.get("error"):
        text.append("\n")
        text.append_text(plain(record["error"], style="italic"))
    return text


def columns(claims: list[dict], width: int) -> list[tuple[str, int]]:
    """(key, cell width) of each column for a table `width` cells wide (2 cells of padding per
    column and a scrollbar's 2 are left out)."""
    keys = ["check", "paper", "measured", "held"] + (["naive"] if any(c.get("naive") for c in claims) else [])
    room = max(24, width - 2 * len(keys) - 2 - HELD_WIDTH)
    total = sum(SHARES[k] for k in keys if k != "held")
    return [(k, HELD_WIDTH if k == "held" else max(len(HEADERS[k]) if k == "naive" else 6, int(room * SHARES[k] / total)))
            for k in keys]


def cell(claim: dict, key: str) -> Text:
    if key == "held":
        word, style = HELD.get(claim.get("held"), ("—", "dim"))
        return Text(word, style=style)
    if key == "naive":
        if not claim.get("naive"):
            return Text("")
        word, style = HELD.get(claim.get("naive_held"), ("—", "dim"))
        return join(claim["naive"], " ", (word, style))
    return plain(claim.get(key, ""))


def rows(claims: list[dict], cols: list[tuple[str, int]], console: Console) -> list[tuple[list[Text], int]]:
    """Each claim's cells wrapped to their column, with the row's height."""
    out = []
    for claim in claims:
        cells = []
        for key, w in cols:
            lines = cell(claim, key).wrap(console, w)
            cells.append(Text("\n").join(lines))
        out.append((cells, max(1, *(len(c.split()) for c in cells))))
    return out
