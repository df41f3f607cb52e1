"""Text from outside (Zotero, PDFs, plans, notes) made safe to print on a terminal.

A title can carry terminal escape sequences (a copy from a coloured terminal, or a hostile
record): printed raw, they recolour the screen, move the cursor, set the window title or
(OSC 52) write the clipboard. Escape sequences and control characters are removed; newlines
and tabs stay. Markup is a separate matter: the TUI never parses data as markup at all.
"""

from __future__ import annotations

import re

# ECMA-48: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC strings (ended by BEL or ESC \), and
# two-character ESC sequences; the 8-bit C1 forms too.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"            # CSI … final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"  # OSC, DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]",                          # other ESC sequences (ESC c, ESC ( B, ESC 7 …)
    re.DOTALL,
)
# What is left of C0 and C1 after the sequences: everything but tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """`text` without terminal escape sequences and control characters (tab and newline kept;
    a carriage return becomes nothing, so it cannot overwrite the start of a line)."""
    s = "" if text is None else str(text)
    if not s or (s.isprintable() and "\x1b" not in s):
        return s
    return _CONTROL.sub("", _SEQUENCE.sub("", s))
