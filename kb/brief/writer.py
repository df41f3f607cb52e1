"""Write a brief to disk in one of four formats; the entry point for the CLI and the TUI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kb import atomic
from kb.brief import collect, render_html, render_markdown, render_pdf, render_pptx
from kb.brief.deck import build_deck
from kb.brief.model import Brief
from kb.errors import BadInput
from kb.store import Store
from notes.files import notes_dir

FORMATS = {"md": ".md", "slides": ".slides.md", "html": ".html", "pdf": ".pdf", "pptx": ".pptx"}


@dataclass
class Written:
    path: Path
    format: str
    brief: Brief
    pages: int | None = None

    def to_dict(self) -> dict:
        return {
            "path": str(self.path), "format": self.format, "lang": self.brief.lang, "since": self.brief.since,
            "until": self.brief.until, "pages": self.pages,
            "papers": [{"id": p.paper_id, "citekey": p.citekey, "title": p.title, "gaps": p.gaps,
                        "notices": p.notices, "figure": str(p.figure.path) if p.figure else None,
                        "table": str(p.table.path) if p.table else None, "table_page": p.table.page if p.table else None,
                        "runs": [{"id": r.run_id, "verdict": r.verdict} for r in p.runs]} for p in self.brief.papers],
            "read": len(self.brief.week.read), "planned": len(self.brief.week.planned), "reviews": self.brief.week.reviews,
            "retention": self.brief.week.retention,
            "plans": [{"plan": g.plan, "weeks": g.weeks, "planned": len(g.planned), "read": len(g.read),
                       "next": [i.get("title") or i.get("text") for i in g.next_items]} for g in self.brief.week.plans],
        }


def format_for(out: Path | None, fmt: str | None) -> str:
    """The format asked for, else the one the output's name says (talk.pptx), else Markdown; a
    name that says another format than the one asked for is refused rather than mislabelled."""
    named = next((f for f, ext in sorted(FORMATS.items(), key=lambda kv: -len(kv[1]))
                  if out is not None and out.name.lower().endswith(ext)), None)
    if fmt is None:
        return named or "md"
    if fmt not in FORMATS:
        raise BadInput(f"unknown brief format {fmt!r}", f"use one of: {', '.join(FORMATS)}")
    if named is not None and named != fmt and not (fmt == "md" and named == "slides"):
        raise BadInput(f"the output {out.name} names a .{out.name.rsplit('.', 1)[-1]} file, not {fmt}",
                       f"use -o {out.name.split('.')[0]}{FORMATS[fmt]}, or leave out --format")
    return fmt


def default_lang(store: Store, config: dict, plan: str | None) -> str:
    if config.get("brief", {}).get("lang") in ("en", "zh"):
        return config["brief"]["lang"]
    row = store.one("SELECT lang FROM plans WHERE name = ?", (plan,)) if plan else store.one("SELECT lang FROM plans ORDER BY id LIMIT 1")
    return row["lang"] if row and row["lang"] in ("en", "zh") else "en"


def write_brief(store: Store, home: Path, config: dict, *, since: datetime, until: datetime | None = None,
                paper_ids: list[int] | None = None, plan: str | None = None, week: int | None = None,
                fmt: str | None = None, lang: str | None = None, out: Path | None = None) -> Written:
    fmt = format_for(Path(out) if out else None, fmt)
    lang = lang or default_lang(store, config, plan)
    if lang not in ("en", "zh"):
        raise BadInput(f"unknown language {lang!r}", "use en or zh")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    out = Path(out) if out else home / "briefs" / f"brief-{stamp}{FORMATS[fmt]}"
    out.parent.mkdir(parents=True, exist_ok=True)
    assets = out.parent / (out.name.split(".")[0] + "_files")
    brief = collect.build(
        store, since=since, until=until, paper_ids=paper_ids, plan=plan, week=week, lang=lang,
        notes_dir=notes_dir(home, config), assets=assets, timeout_s=float(config.get("index", {}).get("pdf_timeout_s", 60)),
    )
    deck = build_deck(brief)
    pages = None
    if fmt == "md":
        atomic.write_text(out, render_markdown.markdown(deck, out))
    elif fmt == "slides":
        atomic.write_text(out, render_markdown.slides(deck, out))
    elif fmt == "html":
        atomic.write_text(out, render_html.document(deck, brief.lang))
    elif fmt == "pptx":
        pages = render_pptx.write_pptx(deck, out)
    else:
        pages = render_pdf.write_pdf(deck, out)
    if assets.exists() and not any(assets.iterdir()):
        assets.rmdir()
    return Written(out, fmt, brief, pages)
