"""Import a Markdown reading plan into the store.

    import_plan(store, "plan.md", name=None) -> ImportResult

One file may hold several plans (three six-month plans one after another, each under its own
`#` title with its own 第1个月 ... 第6个月): each becomes a plan of its own, named NAME-1,
NAME-2, ... (NAME is --name or the file's stem). A file holding one plan gives one plan, NAME.

Re-importing updates the plans in place: items keep their ids (an item's key is its content and
section, not its position), new ones are added, those that disappeared are removed, and the
papers are found again rather than created twice. The whole import is one transaction: when
anything fails, the store is as it was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kb import catalog, titles
from kb.errors import BadInput
from kb.plans import items as items_mod
from kb.plans import markdown, weeks
from kb.plans.decode import Decoded, decode_bytes, read_plan_file
from kb.store import Store

NO_PAPERS_HINT = (
    "papers are recognised under sections such as 论文阅读 / Papers / References, in quotes (\"…\", “…”, 《…》 after 论文), "
    "as *italic* titles, with an arXiv id or DOI, or as references like 'Author, A. (2020). Title. Venue.'"
)


@dataclass
class PlanItem:
    kind: str
    text: str
    title: str | None = None
    phase: str | None = None
    month_start: int | None = None
    month_end: int | None = None
    week_label: str | None = None
    week_start: int | None = None
    week_end: int | None = None
    date_start: str | None = None
    date_end: str | None = None
    section: str | None = None
    topic: str | None = None
    line: int | None = None
    note: str | None = None
    done: bool = False
    arxiv_id: str | None = None
    doi: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    mention: bool = False
    key: str = ""
    position: int = 0
    catalog_entry: Any = None
    reason: str | None = None                                  # why this kind: `kb plan show --why`
    url: str | None = None                                     # the paper link, for the online resolver
    outline: list[str] = field(default_factory=list)           # the headings above it
    places: list[dict[str, Any]] = field(default_factory=list)  # every place it is listed, when more than one


@dataclass
class ParsedPlan:
    title: str | None
    lang: str
    items: list[PlanItem]
    text: str
    start_hint: date | None = None

    @property
    def papers(self) -> list[PlanItem]:
        return [i for i in self.items if i.kind == "paper"]


@dataclass
class ImportResult:
    plans: list[dict[str, Any]]
    encoding: str
    notes: list[str] = field(default_factory=list)
    removed_plans: list[str] = field(default_factory=list)
    # The plans' papers against the synced Zotero items (as `kb sync` reports it); None with no
    # Zotero library synced yet.
    matching: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"plans": self.plans, "encoding": self.encoding, "notes": self.notes, "removed_plans": self.removed_plans,
                "matching": self.matching}


# -- parsing ------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_lang(text: str) -> str:
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    return "zh" if cjk and cjk >= latin else "en"


def _lines_lang(blocks: list[markdown.Block]) -> str:
    """The language a plan's lines are written in, for telling a bare English title apart: a
    Chinese plan that lists many English titles is still Chinese when two lines in five (headings,
    items, paragraphs) have Chinese in them."""
    lines = [b.text for b in blocks if b.text.strip()]
    if not lines:
        return "en"
    with_cjk = sum(1 for t in lines if _CJK.search(t))
    return "zh" if with_cjk >= 0.4 * len(lines) else detect_lang("\n".join(lines))


@dataclass
class _Frame:
    level: int
    kind: str                      # time, section, topic
    text: str
    mark: weeks.TimeMark | None = None


def _split_parts(blocks: list[markdown.Block]) -> list[list[markdown.Block]]:
    """Several plans in one file: two or more `#` titles, each followed by its own schedule
    that starts over (month 1 again)."""
    h1 = [i for i, b in enumerate(blocks) if b.type == "heading" and b.level == 1 and weeks.parse(b.text) is None]
    if len(h1) < 2:
        return [blocks]
    bounds = h1 + [len(blocks)]
    segments = [blocks[bounds[k]: bounds[k + 1]] for k in range(len(h1))]

    def first_last(seg):
        nums, month = [], 0
        for b in seg:
            m = weeks.parse(b.text) if b.type == "heading" else None
            if m is None:
                continue
            if m.month_start:
                month = m.month_start
            if m.month_start or m.week_start:
                nums.append(month * 100 + (m.week_start or 0))
        return (nums[0], nums[-1]) if nums else (None, None)

    spans = [first_last(s) for s in segments]
    if any(a is None for a, _ in spans):
        return [blocks]
    restarts = all(spans[k][0] <= spans[k - 1][1] for k in range(1, len(spans)))
    if not restarts:
        return [blocks]
    segments[0] = blocks[: h1[0]] + segments[0]
    return segments


def parse_text(text: str, *, today: date | None = None) -> list[ParsedPlan]:
    """The plans a Markdown text holds, with their items (nothing is stored)."""
    today = today or date.today()
    blocks = markdown.parse(text)
    cat = catalog.load()

    def aliases(name: str) -> str | None:
        """A short name ("Flash Attention") or a full title the catalog knows, as its canonical title."""
        entry = cat.by_short_name(name)
        if entry is None and len(name) > 12:
            entry = cat.lookup(title=name)
        return entry.title if entry else None

    plans = []
    for part in _split_parts(blocks):
        plans.append(_parse_part(part, aliases, today))
    return plans


def _parse_part(blocks: list[markdown.Block], aliases, today: date) -> ParsedPlan:
    stack: list[_Frame] = []
    para_section: str | None = None
    para_time: weeks.TimeMark | None = None
    out: list[PlanItem] = []
    title_block = next((b for b in blocks if b.type == "heading" and b.level == 1 and weeks.parse(b.text) is None), None)
    title = title_block.text if title_block else None
    if title is None:
        title = next((b.text for b in blocks if b.type == "heading" and b.level <= 2 and weeks.parse(b.text) is None
                      and items_mod.section_kind(_clean_label(b.text)) is None), None)
    start_hint: date | None = None
    # labels and time prefixes of list items, by block index, for their children
    item_label: dict[int, str | None] = {}
    item_time: dict[int, weeks.TimeMark | None] = {}
    by_uid = {b.uid: b for b in blocks}
    by_block: dict[int, list[PlanItem]] = {}  # the items each list item gave, for the lines under it
    lang = _lines_lang(blocks)

    def time_context(extra: list[weeks.TimeMark]) -> dict[str, Any]:
        phase = month = week = None
        for f in stack:
            if f.mark is None:
                continue
            if f.mark.level == "phase":
                phase, month, week = f.mark, None, None
            elif f.mark.level == "month":
                month, week = f.mark, None
            elif f.mark.level == "week":
                week = f.mark
        for m in ([para_time] if para_time else []) + extra:
            if m.level == "phase":
                phase, month, week = m, None, None
            elif m.level == "month":
                month, week = m, None
            else:
                week = m
        ctx: dict[str, Any] = {}
        m_start = m_end = None
        if month is not None:
            m_start, m_end = month.month_start, month.month_end
        elif phase is not None and phase.month_start:
            m_start, m_end = phase.month_start, phase.month_end
        if month is not None and month.week_start and week is None:
            week = month  # "Month 2, Week 1-2" in one heading
        ctx["phase"] = _clean_label(phase.label) if phase else (_clean_label(month.label) if month else None)
        ctx["month_start"], ctx["month_end"] = m_start, m_end
        if week is not None and week.week_start:
            ws, we = weeks.absolute_weeks(week.week_start, week.week_end or week.week_start, m_start)
            ctx["week_label"] = _clean_label(week.label)
            ctx["week_start"], ctx["week_end"] = ws, we
            if week.dates:
                (y1, mo1, d1), (y2, mo2, d2) = week.dates
                ctx["date_start"] = f"{y1:04d}-{mo1:02d}-{d1:02d}" if y1 else f"{mo1:02d}-{d1:02d}"
                ctx["date_end"] = f"{y2:04d}-{mo2:02d}-{d2:02d}" if y2 else f"{mo2:02d}-{d2:02d}"
                ctx["_first_date"] = (y1, mo1, d1, ws)
        elif phase is not None and phase.week_start and month is None:
            ctx["week_start"], ctx["week_end"] = phase.week_start, phase.week_end
        elif m_start:
            ctx["week_start"], ctx["week_end"] = weeks.month_weeks(m_start, m_end)
        return ctx

    def heading_section(prose: bool = False) -> str | None:
        for f in reversed(stack):
            if f.kind == "section" or (f.kind == "titled" and not prose):
                return _clean_label(f.text) if f.kind == "titled" else f.text
            if f.kind == "time":
                return None
        return None

    def topic() -> str | None:
        for f in reversed(stack):
            if f.kind == "topic" and f.level > 1:
                return _clean_label(f.text)
        return None

    def add(item: items_mod.Item, block: markdown.Block, section: str | None, ctx: dict[str, Any], done: bool, note: str | None = None) -> None:
        nonlocal start_hint
        if ctx.get("_first_date") and start_hint is None:
            y, mo, d, ws = ctx["_first_date"]
            first = weeks.resolve_date(mo, d, y, today)
            if first:
                start_hint = first - timedelta(weeks=(ws or 1) - 1)
        out.append(PlanItem(
            kind=item.kind, text=item.text, title=item.title, section=_clean_label(item.label or section) if (item.label or section) else None,
            topic=topic(), line=block.line, note=note, done=done, arxiv_id=item.arxiv_id, doi=item.doi, year=item.year,
            authors=list(item.authors), venue=item.venue, mention=item.mention, reason=item.reason, url=item.url,
            outline=[_clean_label(f.text) or "" for f in stack if f.kind != "time" and f.level > 1],
            **{k: v for k, v in ctx.items() if not k.startswith("_")},
        ))
        by_block.setdefault(block.uid, []).append(out[-1])

    def doi_of_entry_above(block: markdown.Block) -> bool:
        """A bare DOI line under an entry ('Author, [Title](…), Venue' then '10.1145/…') is that
        entry's DOI, not a paper of its own."""
        doi = _bare_doi(block.text)
        if doi is None or not out:
            return False
        above = out[-1]
        if above.kind != "paper" or above.line is None or block.line - above.line > 2 or (above.doi and above.doi != doi):
            return False
        above.doi = doi
        above.reason = f"{above.reason}; its DOI is on the line below" if above.reason else "its DOI is on the line below"
        return True

    def link_of_item_above(block: markdown.Block, label: str | None, rest: str) -> bool:
        """'- **链接**：[arXiv:1706.03762](…)' under an item gives that item its paper link."""
        if block.parent is None or not label or not _LINK_LABEL.fullmatch(items_mod.simplified(label).strip().lower()):
            return False
        parent_items = by_block.get(block.parent) or []
        if not parent_items:
            return False
        hrefs = " ".join(l.url for l in items_mod.line_links(rest))
        arxiv, doi = items_mod.find_arxiv(rest + " " + hrefs), items_mod.find_doi(hrefs + " " + rest)
        paper_link = next((l for l in items_mod.line_links(rest) if l.verdict.kind == "paper"), None)
        if not (arxiv or doi or paper_link):
            return False
        target = next((i for i in parent_items if i.kind == "paper"), None)
        if target is None:
            target = next((i for i in parent_items if i.title), None)
            if target is None:
                return False
            target.kind = "paper"
            target.reason = f"its {label} line links a paper ({paper_link.verdict.reason if paper_link else 'an id'})"
        target.arxiv_id = target.arxiv_id or arxiv
        target.doi = target.doi or doi
        return True

    for block in blocks:
        idx = block.uid
        if block.type == "heading":
            while stack and stack[-1].level >= block.level:
                stack.pop()
            para_section, para_time = None, None
            mark = weeks.parse(block.text)
            if mark is not None:
                stack.append(_Frame(block.level, "time", block.text, mark))
            elif block is title_block and items_mod.section_kind(_clean_label(block.text), strict=True) is None:
                # "# Papers I keep": the plan's title names what its lists hold, but its introduction is prose
                kind = "titled" if items_mod.section_kind(_clean_label(block.text)) not in (None, items_mod.SKIP) else "topic"
                stack.append(_Frame(block.level, kind, block.text))
            elif items_mod.section_kind(_clean_label(block.text)) is not None and len(_clean_label(block.text)) <= 30:
                stack.append(_Frame(block.level, "section", _clean_label(block.text)))
            else:
                stack.append(_Frame(block.level, "topic", block.text))
            continue

        if block.type in ("para", "item") and doi_of_entry_above(block):
            continue

        if block.type == "para":
            mark = weeks.parse(block.text)
            label, rest = items_mod.split_label(block.text)
            if mark is not None and re.match(r"^\s*(\*\*|__)", block.text) and len(block.text) < 80:
                para_time = mark  # **Week 3** as a heading
                continue
            if label and not rest:
                para_section = label
                continue
            section = para_section or heading_section(prose=True)
            skind = items_mod.section_kind(section)
            found = items_mod.classify(block.text, skind, aliases=aliases, lang=lang)
            for it in found:
                # plain paragraphs are prose: only the papers they name (and the lines of a
                # section that lists things, like a reference list without bullets) become items
                own = items_mod.section_kind(it.label, strict=True) if it.label else None
                if it.kind == "paper" or (skind in ("paper", "book", "course", "tutorial") and it.kind == skind) or (own and own == it.kind):
                    add(it, block, section, time_context([]), False)
            continue

        if block.type == "row":
            _table_row(block, heading_section() or para_section, time_context, add, aliases, lang)
            continue

        # list items
        label, rest = items_mod.split_label(block.text)
        mark = weeks.parse(block.text)
        own_marks: list[weeks.TimeMark] = []
        parent = block.parent
        chain: list[int] = []
        while parent is not None and parent in by_uid:
            chain.append(parent)
            parent = by_uid[parent].parent
        for p in reversed(chain):
            if item_time.get(p):
                own_marks.append(item_time[p])
        if mark is not None and not (label and items_mod.section_kind(label)):
            item_time[idx] = mark
            own_marks.append(mark)
            rest_text = mark.rest
            if not rest_text:
                continue  # "- Week 3" as a heading for the items under it
            body = rest_text
        else:
            body = block.text
            if label and not rest:
                item_label[idx] = label
                continue
        if link_of_item_above(block, label, rest):
            continue
        section = None
        for p in chain:
            if item_label.get(p):
                section = item_label[p]
                break
        section = section or para_section or heading_section()
        skind = items_mod.section_kind(section)
        ctx = time_context(own_marks)
        found = items_mod.classify(body, skind, checked=block.checked, aliases=aliases, lang=lang)
        note = "\n".join(block.notes) if block.notes else None
        for n, it in enumerate(found):
            add(it, block, section, ctx, bool(block.checked), note if n == 0 else None)
        # papers named in the paragraphs under an item ("预习了一下论文《…》")
        known = {titles.normalize(i.title or "") for i in found if i.kind == "paper"}
        for text in block.notes:
            doi = _bare_doi(text)
            own = next((i for i in by_block.get(block.uid, []) if i.kind == "paper"), None)
            if doi and own is not None and own.doi in (None, doi):
                own.doi = doi  # "- Author, [Title](…), Venue" with its DOI on a line of its own under it
                own.reason = f"{own.reason}; its DOI is on the line below" if own.reason else "its DOI is on the line below"
                continue
            for it in items_mod.classify(text, None, aliases=aliases, lang=lang):
                if it.kind == "paper" and titles.normalize(it.title or "") not in known:
                    known.add(titles.normalize(it.title or ""))
                    add(it, block, section, ctx, bool(block.checked))

    text = "\n".join(b.text for b in blocks)
    out = fold_duplicates(out)
    for pos, item in enumerate(out):
        item.position = pos
    _assign_keys(out)
    return ParsedPlan(title=_clean_label(title) if title else None, lang=lang, items=out, text=text, start_hint=start_hint)


_TABLE_TITLE = re.compile(r"(?i)^(papers?|titles?|readings?|what|items?|resources?|materials?|topics?|论文|标题|题目|名称|内容|资源|阅读)$")
_TABLE_WEEK = re.compile(r"(?i)^(weeks?|wk|w|周|周次|时间|日期|dates?|when|schedule|months?|月份?|阶段|phase)$")
_TABLE_NAME = re.compile(r"(?i)^(models?|names?|名字|模型|名称|方法|methods?|systems?)$")
_TABLE_KIND = re.compile(r"(?i)^(types?|kinds?|类型|类别|category)$")
_TABLE_DONE = re.compile(r"(?i)^(status|done|read\??|✓|✔|状态|完成|进度|已读)$")
_DONE_VALUES = re.compile(r"(?i)^\s*(\[x\]|x|✓|✔|✅|☑|done|yes|y|read|finished|complete|completed|已读|完成|已完成|是)\s*$")


def _table_row(block: markdown.Block, section: str | None, time_context, add, aliases, lang: str) -> None:
    header = [items_mod.strip_inline(h).strip() for h in block.header]
    cells = block.cells + [""] * max(0, len(header) - len(block.cells))
    cols: dict[str, int | None] = {"title": None, "week": None, "kind": None, "done": None, "name": None}
    for n, h in enumerate(header):
        for key, rx in (("title", _TABLE_TITLE), ("week", _TABLE_WEEK), ("kind", _TABLE_KIND), ("done", _TABLE_DONE)):
            if cols[key] is None and rx.match(h):
                cols[key] = n
    marks = []
    if cols["week"] is not None:
        cell = items_mod.strip_inline(cells[cols["week"]])
        header_word = header[cols["week"]].lower()
        if re.fullmatch(r"\d{1,2}(\s*[-–~]\s*\d{1,2})?", cell):
            unit = "Month" if header_word.startswith(("month", "月")) else "Week"
            cell = f"{unit} {cell}"
        m = weeks.parse(cell)
        if m:
            marks.append(m)
    for n, h in enumerate(header):
        if cols.get("name") is None and _TABLE_NAME.match(h) and n != cols["title"]:
            cols["name"] = n
    used = {cols["week"], cols["kind"], cols["done"]}
    if cols["title"] is not None:
        parts = [cells[cols["title"]]] + [c for n, c in enumerate(cells) if n not in used and n != cols["title"] and _looks_like_ref(c)]
        title_text = items_mod.strip_inline(cells[cols["title"]])
        if cols.get("name") is not None and (not title_text or items_mod.is_generic_link_text(title_text)):
            parts.insert(0, cells[cols["name"]])  # | T5 | [link](…) |: the model's name is the title there is
    else:
        parts = [c for n, c in enumerate(cells) if n not in used]
    text = " ".join(p for p in parts if p.strip())
    if not text.strip():
        return
    skind = items_mod.section_kind(section)
    if cols["kind"] is not None and items_mod.section_kind(cells[cols["kind"]]):
        skind = items_mod.section_kind(cells[cols["kind"]])
        section = section or items_mod.strip_inline(cells[cols["kind"]])
    elif cols["title"] is not None and items_mod.section_kind(header[cols["title"]]) not in (None, "other", items_mod.MIXED):
        skind = skind or items_mod.section_kind(header[cols["title"]])
    done = bool(cols["done"] is not None and _DONE_VALUES.match(items_mod.strip_inline(cells[cols["done"]])))
    for it in items_mod.classify(text, skind, checked=done if cols["done"] is not None else None, aliases=aliases, lang=lang):
        add(it, block, section, time_context(marks), done)


_LINK_LABEL = re.compile(r"(链接|论文链接|论文地址|地址|原文|论文|link|links|paper|pdf|arxiv|url|doi)")
_BARE_DOI_LINE = re.compile(r"(?i)^\s*(?:doi\s*[:：]?\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+?)[.。]?\s*$")


def _bare_doi(text: str) -> str | None:
    m = _BARE_DOI_LINE.match(items_mod.strip_inline(text))
    return m.group(1).lower() if m else None


def _looks_like_ref(cell: str) -> bool:
    return bool(re.search(r"(?i)arxiv|doi|https?://", cell))


def _clean_label(text: str | None) -> str | None:
    if text is None:
        return None
    t = items_mod.strip_inline(text)
    return t.strip(" :：").strip() or None


def _identity(item: PlanItem) -> str | None:
    """What makes two lines of one plan the same reference: an id, the catalog entry, or the title."""
    if item.kind not in ("paper", "book"):
        return None
    if item.kind == "paper":
        entry = catalog.lookup(title=item.title, arxiv_id=item.arxiv_id, doi=item.doi)
        if entry is not None:
            return f"paper|cat|{entry.title}"
        if item.arxiv_id:
            return f"paper|arxiv|{item.arxiv_id}"
        if item.doi:
            return f"paper|doi|{item.doi}"
    norm = titles.normalize(item.title or "")
    return f"{item.kind}|title|{norm}" if norm else None


def _place(item: PlanItem) -> dict[str, Any]:
    return {"line": item.line, "section": item.section, "topic": item.topic, "week_label": item.week_label,
            "week_start": item.week_start, "outline": list(item.outline)}


def fold_duplicates(items: list[PlanItem]) -> list[PlanItem]:
    """A reference listed more than once in one plan (a course outline cites it in two chapters) is
    one item, at its first place, that remembers every place it appears."""
    first: dict[str, PlanItem] = {}
    out: list[PlanItem] = []
    for item in items:
        ident = _identity(item)
        kept = first.get(ident) if ident else None
        if kept is None:
            if ident:
                first[ident] = item
            out.append(item)
            continue
        if not kept.places:
            kept.places.append(_place(kept))
        kept.places.append(_place(item))
        # the fuller line wins for what it tells (ids, authors, year), the first place stays
        for name in ("arxiv_id", "doi", "year", "venue"):
            if getattr(kept, name) is None and getattr(item, name) is not None:
                setattr(kept, name, getattr(item, name))
        if not kept.authors and item.authors:
            kept.authors = list(item.authors)
        kept.done = kept.done or item.done
    return out


def _assign_keys(items: list[PlanItem]) -> None:
    seen: Counter = Counter()
    for item in items:
        identity = titles.normalize(item.title) if item.title else titles.normalize(item.text)
        if not identity:
            identity = item.text.strip()
        section = titles.normalize(item.section or "")
        base = f"{item.kind}|{section}|{identity}"
        n = seen[base]
        seen[base] += 1
        item.key = hashlib.sha1(f"{base}|{n}".encode("utf-8")).hexdigest()[:16]


# -- resolving papers ---------------------------------------------------------------------------

def resolve_papers(plan: ParsedPlan, resolver=None) -> list[str]:
    """Fill in each paper item from the catalog (canonical title, ids, authors, year, venue); with
    an online resolver (kb.resolve), the papers the catalog lacks that have an id or a paper link
    are looked up too. Returns what could not be looked up, one line each."""
    problems: list[str] = []
    for item in plan.papers:
        item.catalog_entry = catalog.lookup(title=item.title, arxiv_id=item.arxiv_id, doi=item.doi)
        if item.catalog_entry is None and resolver is not None and resolver.online:
            problems += _resolve_online(item, resolver)
    return problems


def _resolve_online(item: PlanItem, resolver) -> list[str]:
    from kb.errors import KbError
    from kb.resolve import ids

    pid = None
    if item.arxiv_id:
        pid = ids.PaperId("arxiv", item.arxiv_id)
    elif item.doi:
        pid = ids.PaperId("doi", item.doi)
    elif item.url:
        pid = ids.from_url(item.url)
    if pid is None or pid.kind == "pdf_url":
        return []
    try:
        meta = resolver.resolve(pid)
    except KbError as exc:
        return [f"line {item.line}: {exc.message}"]
    if meta.title:
        item.catalog_entry = catalog.CatalogEntry(title=meta.title, authors=tuple(meta.authors), year=meta.year, venue=meta.venue,
                                                  arxiv_id=meta.arxiv_id or item.arxiv_id, doi=meta.doi or item.doi)
        item.reason = f"{item.reason}; looked up on {meta.source}" if item.reason else f"looked up on {meta.source}"
    return []


def _paper_fields(item: PlanItem) -> dict[str, Any]:
    entry = item.catalog_entry
    if entry is not None:
        fields = entry.paper_fields()
        if item.arxiv_id and not fields.get("arxiv_id"):
            fields["arxiv_id"] = item.arxiv_id
        if item.doi and not fields.get("doi"):
            fields["doi"] = item.doi
        return fields
    fields: dict[str, Any] = {"title": item.title or item.text}
    if item.arxiv_id:
        fields["arxiv_id"] = item.arxiv_id
    if item.doi:
        fields["doi"] = item.doi
    if item.year:
        fields["year"] = item.year
    if item.authors:
        fields["authors"] = list(item.authors)
    if item.venue:
        fields["venue"] = item.venue
    return fields


# -- storing ------------------------------------------------------------------------------------

def slug(text: str) -> str:
    s = re.sub(r"[^\w\-.]+", "-", text.strip(), flags=re.UNICODE).strip("-._")
    return s[:60] or "plan"


def import_plan(store: Store, source: str | Path, name: str | None = None, *, today: date | None = None,
                replace: bool = False, resolver=None) -> ImportResult:
    """Import (or re-import) the plan file at `source`. Raises BadInput for files that are not
    plans (empty, binary, undecodable, too large, no papers) and for a name another file's plan
    already has (unless `replace`); the store is then unchanged."""
    path = Path(source)
    decoded = read_plan_file(path)
    base = name or slug(path.stem)
    return import_text(store, decoded.text, base, source_path=str(path.resolve()), encoding=decoded.encoding,
                       today=today, decode_note=decoded.note, display_name=path.name, replace=replace,
                       name_given=name is not None, resolver=resolver)


def import_bytes(store: Store, data: bytes, name: str, *, today: date | None = None) -> ImportResult:
    decoded: Decoded = decode_bytes(data, name=name)
    return import_text(store, decoded.text, name, encoding=decoded.encoding, today=today, decode_note=decoded.note)


def import_text(
    store: Store, text: str, name: str, *, source_path: str | None = None, encoding: str = "utf-8",
    today: date | None = None, decode_note: str | None = None, display_name: str | None = None,
    replace: bool = False, name_given: bool = True, resolver=None,
) -> ImportResult:
    today = today or date.today()
    shown = display_name or name
    if not text.strip():
        raise BadInput(f"{shown} is empty", "write the plan first: headings for months/weeks, papers in a list")
    name = name.strip()
    if not name:
        raise BadInput("a plan needs a name", "pass --name NAME")
    if name.isdigit():
        raise BadInput(f"a plan name cannot be a bare number ({name!r}): numbers are plan ids", "pass --name with a word in it")
    parsed = parse_text(text, today=today)
    total_items = sum(len(p.items) for p in parsed)
    total_papers = sum(len(p.papers) for p in parsed)
    if total_items == 0:
        raise BadInput(f"{shown} has no plan in it: no list items, table rows or references were found", NO_PAPERS_HINT)
    if total_papers == 0:
        raise BadInput(f"no recognisable papers in {shown} ({total_items} other items); nothing was imported", NO_PAPERS_HINT)
    lookup_problems: list[str] = []
    for plan in parsed:
        lookup_problems += resolve_papers(plan, resolver)  # network first, outside the transaction

    names = [name] if len(parsed) == 1 else [f"{name}-{k + 1}" for k in range(len(parsed))]
    if not replace:
        _refuse_name_clash(store, name, names, source_path, name_given)
    result = ImportResult(plans=[], encoding=encoding)
    if decode_note:
        result.notes.append(decode_note)
    result.notes += [f"not looked up: {p}" for p in lookup_problems]
    with store.tx():
        for k, (plan, plan_name) in enumerate(zip(parsed, names)):
            result.plans.append(_store_plan(store, plan, plan_name, base=name, part=k + 1, parts=len(parsed),
                                            source_path=source_path, encoding=encoding, today=today))
        # plans this file held before and holds no more (it had three parts, now two)
        stale = store.all(
            "SELECT id, name FROM plans WHERE source_name = ? AND part > ? ORDER BY part", (name, len(parsed))
        ) if len(parsed) >= 1 else []
        for row in stale:
            if row["name"] in names:
                continue
            store.execute("DELETE FROM plans WHERE id = ?", (row["id"],))
            result.removed_plans.append(row["name"])
    result.matching = _match_zotero(store, [p["id"] for p in result.plans])
    return result


def _match_zotero(store: Store, plan_ids: list[int]) -> dict[str, int] | None:
    """Match the new plans' papers to the Zotero items already synced. `kb sync` matches every
    plan; a plan imported after the sync was matched by nothing, and `kb plan unmatched` then
    said all its papers were in Zotero."""
    if not store.scalar("SELECT count(*) FROM zotero_libraries"):
        return None
    from kb.zotero.match import match_plan_items

    return match_plan_items(store, plan_ids).counts()


def _refuse_name_clash(store: Store, base: str, names: list[str], source_path: str | None, name_given: bool) -> None:
    """Another file's plan under this name is not replaced silently (two `notes/plan.md` files in two
    folders both default to `plan`). Re-importing the same file, wherever it was read from before
    when the path is unknown, updates it as always."""
    if source_path is None:
        return
    marks = ", ".join("?" * len(names))
    rows = store.all(f"SELECT name, source_path FROM plans WHERE name IN ({marks}) OR source_name = ?", (*names, base))
    for row in rows:
        if row["source_path"] and row["source_path"] != source_path:
            flag = "another --name" if name_given else "--name NAME"
            raise BadInput(
                f"a plan named {row['name']!r} already exists, imported from {row['source_path']}; nothing was imported",
                f"pass {flag} to keep both, or --replace to replace it with this file",
            )


_ITEM_COLUMNS = (
    "position", "kind", "text", "title", "phase", "month_start", "month_end", "week_label", "week_start", "week_end",
    "date_start", "date_end", "section", "topic", "line", "note", "done", "arxiv_id", "doi", "year", "authors", "venue", "paper_id",
    "reason", "places", "outline",
)


def _store_plan(store: Store, plan: ParsedPlan, name: str, *, base: str, part: int, parts: int, source_path: str | None,
                encoding: str, today: date) -> dict[str, Any]:
    from kb import papers as papers_mod

    content_hash = hashlib.sha256(plan.text.encode("utf-8")).hexdigest()
    row = store.one("SELECT * FROM plans WHERE source_name = ? AND part = ? AND parts > 1 AND ? > 1", (base, part, parts))
    if row is None:
        row = store.one("SELECT * FROM plans WHERE name = ?", (name,))
    if row is None and parts > 1 and part == 1:
        row = store.one("SELECT * FROM plans WHERE name = ? AND source_name = ?", (base, base))  # was one plan, now several
    created = row is None
    now = papers_mod.now_iso()
    if created:
        start, start_source = (plan.start_hint, "plan") if plan.start_hint else (today, "import")
        cur = store.execute(
            "INSERT INTO plans (name, title, source_path, source_name, part, parts, lang, encoding, content_hash, start_date, start_date_source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (name, plan.title, source_path, base, part, parts, plan.lang, encoding, content_hash, start.isoformat(), start_source),
        )
        plan_id = cur.lastrowid
    else:
        plan_id = row["id"]
        start_date, start_source = row["start_date"], row["start_date_source"]
        if start_source != "user" and plan.start_hint:
            start_date, start_source = plan.start_hint.isoformat(), "plan"
        elif start_source == "plan" and not plan.start_hint:
            start_date, start_source = row["start_date"], "import"
        store.execute(
            "UPDATE plans SET name = ?, title = ?, source_path = COALESCE(?, source_path), source_name = ?, part = ?, parts = ?, lang = ?, "
            "encoding = ?, content_hash = ?, start_date = ?, start_date_source = ?, updated_at = ? WHERE id = ?",
            (name, plan.title, source_path, base, part, parts, plan.lang, encoding, content_hash, start_date, start_source, now, plan_id),
        )

    existing = {r["item_key"]: r for r in store.all("SELECT * FROM plan_items WHERE plan_id = ?", (plan_id,))}
    added = updated = unchanged = 0
    papers_created = 0
    paper_ids: set[int] = set()
    for item in plan.items:
        paper_id = None
        if item.kind == "paper":
            paper, was_created = papers_mod.upsert(store, source="plan", **_paper_fields(item))
            paper_id = paper.id
            paper_ids.add(paper.id)
            papers_created += int(was_created)
        values = {
            "position": item.position, "kind": item.kind, "text": item.text, "title": item.title, "phase": item.phase,
            "month_start": item.month_start, "month_end": item.month_end, "week_label": item.week_label,
            "week_start": item.week_start, "week_end": item.week_end, "date_start": item.date_start, "date_end": item.date_end,
            "section": item.section, "topic": item.topic, "line": item.line, "note": item.note, "done": int(item.done),
            "arxiv_id": item.arxiv_id, "doi": item.doi, "year": item.year,
            "authors": json.dumps(item.authors, ensure_ascii=False) if item.authors else None, "venue": item.venue,
            "paper_id": paper_id, "reason": item.reason,
            "places": json.dumps(item.places, ensure_ascii=False) if item.places else None,
            "outline": json.dumps(item.outline, ensure_ascii=False) if item.outline else None,
        }
        old = existing.pop(item.key, None)
        if old is None:
            store.execute(
                f"INSERT INTO plan_items (plan_id, item_key, {', '.join(_ITEM_COLUMNS)}) VALUES (?, ?, {', '.join('?' * len(_ITEM_COLUMNS))})",
                (plan_id, item.key, *[values[c] for c in _ITEM_COLUMNS]),
            )
            added += 1
        elif any(old[c] != values[c] for c in _ITEM_COLUMNS):
            store.execute(
                f"UPDATE plan_items SET {', '.join(f'{c} = ?' for c in _ITEM_COLUMNS)} WHERE id = ?",
                (*[values[c] for c in _ITEM_COLUMNS], old["id"]),
            )
            updated += 1
        else:
            unchanged += 1
    for gone in existing.values():
        store.execute("DELETE FROM plan_items WHERE id = ?", (gone["id"],))
    counts = Counter(i.kind for i in plan.items)
    return {
        "id": plan_id, "name": name, "title": plan.title, "lang": plan.lang, "created": created,
        "items": len(plan.items), "counts": {k: counts.get(k, 0) for k in items_mod.KINDS},
        "papers": len(paper_ids), "papers_created": papers_created,
        "papers_from_catalog": sum(1 for i in plan.papers if i.catalog_entry is not None),
        "added": added, "updated": updated, "unchanged": unchanged, "removed": len(existing),
    }


def set_start(store: Store, plan_ref: str | int | None, when: date) -> dict[str, Any]:
    """`kb plan start PLAN DATE`: week 1 begins on DATE."""
    from kb.plans.query import resolve_plan

    row = resolve_plan(store, None if plan_ref is None else str(plan_ref))
    with store.tx():
        store.execute("UPDATE plans SET start_date = ?, start_date_source = 'user' WHERE id = ?", (when.isoformat(), row["id"]))
    return {"id": row["id"], "name": row["name"], "start_date": when.isoformat()}
