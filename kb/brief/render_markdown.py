"""The deck as Markdown (for editing: each slide, then its full text) and as Marp slides."""

from __future__ import annotations

from pathlib import Path

from kb.brief.deck import Slide

_MARKS = {"own": "", "quote": "", "notice": "_"}


def _rel(path: Path, out: Path) -> str:
    try:
        return path.relative_to(out.parent).as_posix()
    except ValueError:
        return path.as_posix()


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _body(s: Slide, out: Path, image_height: int | None) -> list[str]:
    lines: list[str] = []
    if s.subtitle:
        lines += [f"*{s.subtitle}*", ""]
    if s.table:
        lines.append("| " + " | ".join(_cell(c) for c in s.table[0]) + " |")
        lines.append("|" + "---|" * len(s.table[0]))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in s.table[1:]]
        lines.append("")
    for b in s.bullets:
        mark = _MARKS[b.kind]
        lines.append(f"- {mark}{b.text}{mark}" + (" ↩" if b.kind == "quote" else ""))
    if s.bullets:
        lines.append("")
    if s.image is not None:
        size = f"h:{image_height} " if image_height else ""
        lines += [f"![{size}{s.image_label or s.image.caption[:40]}]({_rel(s.image.path, out)})", ""]
        if s.image_label and not image_height:
            lines += [f"*{s.image_label}*", ""]
    if s.footer:
        lines += [f"<small>{s.footer}</small>" if image_height else f"*{s.footer}*", ""]
    return lines


def markdown(slides: list[Slide], out: Path) -> str:
    """A document: each slide as a section, its full text (the speaker notes) beneath it."""
    lines: list[str] = []
    for i, s in enumerate(slides):
        lines += [f"{'#' if i == 0 else '##'} {s.title}", ""] + _body(s, out, None)
        for note in s.notes:
            lines += [f"> {note}", ">"] if note else []
        if s.notes:
            lines[-1] = ""
    return "\n".join(lines).rstrip() + "\n"


def slides(deck: list[Slide], out: Path) -> str:
    """Marp: the front matter opens the first slide itself (no empty slide), slides split by `---`."""
    pages = []
    for s in deck:
        head = "#" if s.kind in ("cover", "title") else "##"
        body = [f"{head} {s.title}", ""] + _body(s, out, 300)
        if s.notes:
            body += ["<!--", *[n.replace("--", "—") for n in s.notes], "-->"]
        pages.append("\n".join(body).rstrip())
    return "---\nmarp: true\npaginate: true\n---\n\n" + "\n\n---\n\n".join(pages) + "\n"
