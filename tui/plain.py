"""User and Zotero text as Rich `Text`: never parsed as markup, escape sequences removed.

A title like `Editing [/etc/hosts] for offline mirrors` is markup to Textual when passed as a
`str` (Static.update, DataTable cells, Tree labels, Option prompts, notify): it would crash
the screen or silently lose the brackets. Everything that comes from data goes through here.
"""

from __future__ import annotations

from rich.text import Text

from kb.terminal_text import clean


def plain(value: object, style: str = "") -> Text:
    """`value` shown as it is written: a Text with no markup, escapes stripped."""
    return Text(clean(value), style=style)


def join(*parts: object) -> Text:
    """Several pieces in a row: str pieces are data (plain), (text, style) pairs are styled data,
    Text pieces are kept as built."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(clean(part[0]), style=part[1])
        else:
            out.append(clean(part))
    return out
