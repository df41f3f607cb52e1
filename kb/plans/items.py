"""One line of a plan: what kind of thing it names, and for papers the title and whatever else
the line gives (arXiv id, DOI, year, authors, venue).

The section a line sits in decides most of it (论文阅读 → papers, 编程实践 → tasks, Books →
books); the line's own label (书籍：, 论文：, Course:) overrides the section; and some forms are
papers wherever they appear: an arXiv id or DOI, an APA reference, "Author et al., Title, Venue
Year". 《…》 is a book in Chinese usage unless the section or the words around it say paper.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable

from kb.plans import links as links_mod

KINDS = ("paper", "book", "course", "tutorial", "task", "other")
MIXED = "mixed"  # a section of resources of several kinds (推荐资源, Resources)
SKIP = "skip"    # a label whose lines describe the item above (主要观点, 作者, 示例): no items of their own

ARXIV_NEW = re.compile(r"(?<![\w.])(?:arxiv\s*[:：]?\s*|arxiv\.org/(?:abs|pdf)/)?(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?:\.pdf)?(?![\d.]*\d)", re.I)
ARXIV_OLD = re.compile(r"(?:arxiv\s*[:：]?\s*|arxiv\.org/(?:abs|pdf)/)([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I)
DOI = re.compile(r"(?:doi\s*[:：]\s*|https?://(?:dx\.)?doi\.org/)?\b(10\.\d{4,9}/[^\s\"<>\]\)，。；、]+)", re.I)
YEAR = re.compile(r"(?<![\d.])((?:19[5-9]|20[0-4])\d)(?![\d.]\d)")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-']*")

# -- sections -------------------------------------------------------------------------------

_SECTION_EXACT = {
    # Chinese
    "论文": "paper", "论文阅读": "paper", "核心论文阅读": "paper", "关键论文阅读": "paper", "论文学习": "paper",
    "论文精读": "paper", "必读论文": "paper", "推荐论文": "paper", "重要参考文献": "paper", "参考文献": "paper",
    "参考文献列表": "paper", "文献": "paper", "文献阅读": "paper", "延伸阅读": "paper", "拓展阅读": "paper", "阅读": "paper",
    "书籍": "book", "书籍阅读": "book", "书": "book", "教材": "book", "参考书": "book", "推荐书籍": "book", "书目": "book",
    "课程": "course", "课程学习": "course", "核心课程学习": "course", "在线课程": "course", "视频课程": "course",
    "公开课": "course", "网课": "course",
    "教程": "tutorial", "在线教程": "tutorial", "文档": "tutorial", "官方文档": "tutorial", "博客": "tutorial",
    "技术博客": "tutorial", "资料": "tutorial",
    "编程实践": "task", "实践": "task", "代码实践": "task", "实验": "task", "实验设计": "task", "研究产出": "task",
    "论文工作": "task", "论文撰写": "task", "论文写作": "task", "投稿准备": "task", "研究交流": "task", "分析工作": "task",
    "开源准备": "task", "项目": "task", "项目实践": "task", "作业": "task", "练习": "task", "任务": "task",
    "领域专业知识": "task", "应用场景聚焦": "task", "基准测试与分析": "task", "动手实践": "task", "产出": "task",
    "学习内容": "other", "学习时间": "other", "主要内容简述": SKIP, "主要观点": SKIP, "示例": SKIP,
    "标题": SKIP, "副标题": SKIP, "日期": SKIP, "论文网站": "other", "在线社区": "other", "学习建议": "other",
    "目录": SKIP, "目录页": SKIP, "封面": SKIP, "标题页": SKIP, "作者": SKIP, "核心贡献": SKIP, "贡献": SKIP, "意义": SKIP,
    "简介": SKIP, "摘要": SKIP, "备注": SKIP, "核心思想": SKIP, "主要贡献": SKIP, "要点": SKIP,
    "论文名称": "paper", "论文题目": "paper", "论文标题": "paper", "paper title": "paper",
    "综述": "paper", "综述论文": "paper", "综述文章": "paper", "经典论文": "paper", "论文列表": "paper", "论文清单": "paper",
    "视频": "course", "参考视频": "course", "视频教程": "tutorial",
    "推荐资源": MIXED, "学习资源": MIXED, "资源": MIXED, "参考资料": MIXED,
    # English
    "papers": "paper", "paper": "paper", "reading": "paper", "readings": "paper", "required reading": "paper",
    "required readings": "paper", "further reading": "paper", "reading list": "paper", "references": "paper",
    "bibliography": "paper", "key papers": "paper", "core papers": "paper", "optional reading": "paper",
    "literature": "paper", "read": "paper", "must read": "paper", "must-read": "paper",
    "books": "book", "book": "book", "textbook": "book", "textbooks": "book",
    "courses": "course", "course": "course", "lectures": "course", "lecture": "course", "moocs": "course", "videos": "course",
    "tutorials": "tutorial", "tutorial": "tutorial", "docs": "tutorial", "documentation": "tutorial", "blogs": "tutorial",
    "blog posts": "tutorial", "guides": "tutorial",
    "practice": "task", "tasks": "task", "exercises": "task", "projects": "task", "project": "task",
    "assignments": "task", "labs": "task", "deliverables": "task", "milestones": "task", "coding": "task",
    "implementation": "task", "experiments": "task", "homework": "task", "todo": "task", "to do": "task", "hands-on": "task",
    "goals": "other", "notes": "other", "tips": "other", "topics": "other", "summary": "other",
    "surveys": "paper", "survey": "paper", "survey papers": "paper", "classic papers": "paper", "seminal papers": "paper",
    "authors": SKIP, "author": SKIP, "abstract": SKIP, "tl;dr": SKIP, "tldr": SKIP, "contents": SKIP,
    "table of contents": SKIP, "key idea": SKIP, "key ideas": SKIP, "contributions": SKIP, "contribution": SKIP,
    "resources": MIXED, "materials": MIXED,
}


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional Chinese in Simplified characters (論文閱讀 -> 论文阅读), for matching the words
    that name a section or a kind; the user's text itself is never rewritten."""
    if not _CJK.search(text):
        return text
    return _t2s().convert(text)


def section_kind(label: str | None, *, strict: bool = False) -> str | None:
    """paper / book / course / tutorial / task / other / mixed for a section label, or None.
    strict: known labels only (for a label at the head of a line: "书籍：《…》"), no guessing
    from parts of words ("科技文档/代码生成：…" is not a documentation list)."""
    if not label:
        return None
    key = re.sub(r"[*_`#:：\s]+", " ", simplified(unicodedata.normalize("NFKC", label))).strip().lower()
    key = re.sub(r"^\d+[.)、]\s*", "", key)
    if key in _SECTION_EXACT:
        return _SECTION_EXACT[key]
    squashed = key.replace(" ", "")
    if squashed in _SECTION_EXACT:
        return _SECTION_EXACT[squashed]
    if strict or len(key) > 24:
        return None
    if any(w in key for w in ("撰写", "写作", "投稿", "论文工作")):
        return "task"
    if "参考文献" in key or "文献" in key or ("论文" in key and any(w in key for w in ("阅读", "学习", "精读", "必读", "推荐", "核心", "关键"))):
        return "paper"
    if "综述" in key:
        return "paper"
    if re.search(r"会议|期刊|\bvenues?\b|\bconferences?\b|\bjournals?\b", key):
        return "other"  # target venues (潜在目标会议/期刊): names of conferences, not papers
    if "视频" in key:
        return "course"
    if "课程" in key:
        return "course"
    if "书" in key:
        return "book"
    if any(w in key for w in ("教程", "文档", "博客")):
        return "tutorial"
    if any(w in key for w in ("实践", "实验", "产出", "项目", "练习", "作业")):
        return "task"
    if re.search(r"\b(papers?|readings?|references|literature|surveys?)\b", key):
        return "paper"
    if re.search(r"\bbooks?\b", key):
        return "book"
    if re.search(r"\b(courses?|lectures?)\b", key):
        return "course"
    if re.search(r"\b(tutorials?|docs|blogs?)\b", key):
        return "tutorial"
    if re.search(r"\b(practice|exercises?|projects?|tasks?|labs?|experiments?|deliverables?|homework|assignments?|coding)\b", key):
        return "task"
    return None


_LABEL = re.compile(r"^\s*(?:\*\*|__)?(?P<label>[^*_:：\n]{1,24}?)(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?P<rest>.*)$")
_BOLD_ONLY = re.compile(r"^\s*(?:\*\*|__)(?P<label>[^*_]{1,40})(?:\*\*|__)\s*[:：]?\s*$")


def split_label(text: str) -> tuple[str | None, str]:
    """'**课程学习**：' -> ('课程学习', ''); '书籍：《深度学习》' -> ('书籍', '《深度学习》'); '**Papers**' -> ('Papers', '').
    A line that only looks like one ("Note: read it" is a label, "LoRA: Low-Rank ..." is not) is
    told apart by the label: bold, or a known section word."""
    m = _BOLD_ONLY.match(text)
    if m:
        return m.group("label").strip(), ""
    m = _LABEL.match(text)
    if not m:
        return None, text
    label = m.group("label").strip()
    bold = text.lstrip().startswith(("**", "__"))
    if bold or section_kind(label) is not None:
        if not bold and re.search(r"https?$", label):
            return None, text
        return label, m.group("rest").strip()
    return None, text


# -- inline Markdown --------------------------------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# [text](url), and the awesome-list [[paper]](url) with one level of brackets inside
_LINK = re.compile(r"\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")


def links(text: str) -> list[tuple[str, str]]:
    return [(m.group("text"), m.group("url")) for m in _LINK.finditer(text)]


def strip_inline(text: str) -> str:
    """Markdown inline markup removed: links keep their text, images go, emphasis and code marks go."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m.group("text"), text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?!\s)([^_]+?)(?<!\s)_(?![\w])", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"~~(.+?)~~", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


# -- identifiers ------------------------------------------------------------------------------

def find_arxiv(text: str) -> str | None:
    for m in ARXIV_NEW.finditer(text):
        whole = m.group(0).lower()
        # A bare 1234.56789 is only an arXiv id when nothing suggests a number or version.
        if "arxiv" in whole or "/abs/" in whole or "/pdf/" in whole:
            return m.group(1)
    for m in ARXIV_NEW.finditer(text):
        before = text[max(0, m.start() - 12): m.start()].lower()
        if re.search(r"(v|version|pp\.?|page|vol\.?|\$|¥)\s*$", before):
            continue
        if len(m.group(1).split(".")[1]) in (4, 5):
            return m.group(1)
    m = ARXIV_OLD.search(text)
    return m.group(1) if m else None


def find_doi(text: str) -> str | None:
    m = DOI.search(text)
    if not m:
        return None
    return m.group(1).rstrip(".,;)").lower()


# -- titles in a line ---------------------------------------------------------------------------

_QUOTE_RE = re.compile(r"“([^”]{2,300})”|\"([^\"]{2,300})\"|「([^」]{2,300})」|『([^』]{2,300})』|‘([^’]{4,300})’")
_BOOK_RE = re.compile(r"《([^》]{1,300})》")
_ITALIC_RE = re.compile(r"(?<![\w*])\*(?!\*)(?!\s)([^*]{3,300}?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!_)(?!\s)([^_]{3,300}?)(?<!\s)_(?![\w_])")


_GENERIC_LINK = re.compile(
    r"(?i)(paper|pdf|arxiv|link|here|code|github|doi|blog|video|slides?|html|abs|notes?|website|project( page)?|homepage|"
    r"论文|链接|地址|原文|笔记|视频|代码|项目|主页|网页|全文|官网|pdf链接|论文链接|arxiv链接)"
)


def is_generic_link_text(text: str) -> bool:
    """'paper', 'PDF', '[链接]': link text that names the kind of link, not the thing."""
    return bool(_GENERIC_LINK.fullmatch(text.strip().strip("[]()（）")))


@dataclass
class Quoted:
    text: str
    style: str       # quote, book, italic, link
    start: int
    end: int


def quoted_spans(text: str) -> list[Quoted]:
    """Titles marked in the line: "…", “…”, 「…」, 《…》, *…*, [text](url)."""
    spans: list[Quoted] = []
    for m in _LINK.finditer(text):
        label = strip_inline(m.group("text")).strip()
        if label and not is_generic_link_text(label):
            spans.append(Quoted(label, "link", m.start(), m.end()))
    for m in _QUOTE_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        spans.append(Quoted(inner.strip(), "quote", m.start(), m.end()))
    for m in _BOOK_RE.finditer(text):
        spans.append(Quoted(m.group(1).strip(), "book", m.start(), m.end()))
    plain_for_italics = _LINK.sub(lambda m: " " * len(m.group(0)), text)
    plain_for_italics = re.sub(r"\*\*[^*]*\*\*", lambda m: " " * len(m.group(0)), plain_for_italics)
    for m in _ITALIC_RE.finditer(plain_for_italics):
        inner = m.group(1) or m.group(2)
        if _LATIN_WORD.search(inner) or _CJK.search(inner):
            spans.append(Quoted(inner.strip(), "italic", m.start(), m.end()))
    spans.sort(key=lambda q: q.start)
    # drop spans inside others (a quote inside a link text, say)
    kept: list[Quoted] = []
    for q in spans:
        if any(k.start <= q.start and q.end <= k.end for k in kept):
            continue
        kept.append(q)
    return kept


def is_cjk_heavy(text: str) -> bool:
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    return cjk > 0 and cjk >= 2 * latin


def looks_like_title(text: str) -> bool:
    """Enough of an English (or Chinese) title to be a paper's: two or more words, or a name
    with capitals/digits ("LoRA", "GPT-3"), not a sentence of Chinese instructions."""
    t = text.strip()
    if len(t) < 3 or len(t) > 400:
        return False
    words = _LATIN_WORD.findall(t)
    cjk = len(_CJK.findall(t))
    if cjk and cjk >= len(words) * 2:
        return False
    if len(words) >= 2:
        return True
    return bool(words) and bool(re.search(r"[A-Z].*[A-Z0-9]|\d", words[0])) and len(words[0]) >= 3


_TRAILING_NOTE = re.compile(r"\s*(?:[（(][^（）()]*[)）]|\[[^\]]*\])\s*[。.;；,，]?\s*$")
_LEADING_VERB = re.compile(
    r"^(?:(?:re-?)?read(?:ing)?|skim|study|review|revisit|finish|paper|optional|must[- ]read|阅读|精读|泛读|略读|论文|复习|研读)\s*[:：\-–—]?\s+",
    re.I,
)


_THE_X_PAPER = re.compile(r"(?i)^(?:(?:re-?)?read|skim|study|review)\s+(?:the\s+)?(?P<name>.+?)\s+paper$")


def clean_title(text: str) -> str:
    """Trailing remarks, Markdown and punctuation removed from a title."""
    t = strip_inline(text)
    m = _THE_X_PAPER.match(t.strip())
    if m:
        t = m.group("name")
    t = t.strip().strip("\"“”'‘’「」『』《》")
    for _ in range(3):
        new = _TRAILING_NOTE.sub("", t)
        if new == t:
            break
        t = new
    t = re.sub(r"\s*第\s*[\d一二三四五六七八九十\-–~、,，]+\s*章.*$", "", t)  # 第1-3章
    if _LATIN_WORD.search(t):
        t = re.sub(r"\s*(?:——|—|–|--|-|:|：)\s*[\u3400-\u9fff][^A-Za-z]*$", "", t)  # "Title —— 必读": a remark in Chinese
    t = re.sub(r"\s*[-–—,;]\s*(?:chapters?|ch\.?|lectures?|sections?)\s*[\d\-–, ]+$", "", t, flags=re.I)
    for _ in range(2):
        t = _TRAILING_NOTE.sub("", t)
    t = t.strip(" \t.。,，;；:：-–—·•").strip("\"“”'‘’")
    return re.sub(r"\s+", " ", t)


# -- references: APA, "Author et al., Title, Venue Year" -----------------------------------

_APA = re.compile(
    r"^(?P<authors>(?:[^()]{2,600}?))\s*\((?P<year>(?:19|20)\d{2})[a-z]?(?:,[^)]*)?\)\.?\s+"
    r"(?P<title>.+?(?:[?!]|(?<=[\w)\]\"”’'])\.))(?:\s+(?P<venue>.*))?$"
)
_ETAL_HEAD = re.compile(
    r"^(?P<authors>(?:[A-Z][\w\-'’]+(?:\s+[A-Z][\w\-'’]+){0,2})\s+(?:et\s+al\.?|and\s+[A-Z][\w\-'’]+|&\s+[A-Z][\w\-'’]+))"
    r"\s*(?:\((?P<year>(?:19|20)\d{2})\))?\s*[,.:]\s*(?P<rest>.+)$"
)
_ETAL_TAIL = re.compile(
    r"^(?P<title>.+?)\s*[(\[–—-]\s*(?P<authors>[A-Z][\w\-'’]+(?:\s+[A-Z][\w\-'’]+)?\s+(?:et\s+al\.?|and\s+[A-Z][\w\-'’]+|&\s+[A-Z][\w\-'’]+))"
    r"\s*,?\s*(?P<venue>[A-Za-z][\w&\- ]*?)?\s*,?\s*(?P<year>(?:19|20)\d{2})?\s*[)\]]?\s*[.。]?$"
)
# "Tianqi Chen, Thierry Moreau, et al. TVM: An Automated ... Compiler. OSDI 2018." — full names, a full stop,
# the title, a full stop, a venue with a year
_NAME = r"[A-Z][\w\-'’]+(?:\s+[A-Z]\.)*(?:\s+[A-Z][\w\-'’]+){1,2}"
_AUTHOR_LIST = re.compile(
    rf"^(?P<authors>{_NAME}(?:\s*,\s*(?:and\s+)?{_NAME})*(?:,?\s+(?:et\s+al\.?|and\s+{_NAME}))?)\.?\s+"
    r"(?P<title>[A-Z0-9].{8,300}?[\w)?!])\.\s+(?P<venue>[^.]{0,80}?(?:19|20)\d{2})\.?$"
)
# "An Invented Title, Alice Smith, Bob Jones, CVPR 2021" / "Title. Carol White et al. ECCV 2020."
_TITLE_FIRST = re.compile(
    rf"^(?P<title>[A-Z0-9][^,]{{8,300}}?)[,.]\s+(?P<authors>{_NAME}(?:\s*,\s*(?:and\s+)?{_NAME})*(?:,?\s+(?:et\s+al\.?|and\s+{_NAME}))?)"
    r"[,.]?\s+(?P<venue>[A-Za-z][^.]{0,60}?'?(?:19|20)\d{2})\.?$"
)
_NAME_ONLY = re.compile(_NAME)
_VENUE_YEAR = re.compile(
    r"^(?:(?P<venue>[A-Za-z][\w&'’\- ]{1,60}?)?\s*['’]?(?P<year>(?:19|20)\d{2}|'\d{2})|(?:In\s+)?(?P<venue2>[A-Z][A-Za-z]*[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*){0,3}))\.?$"
)
_PUBLISHER = re.compile(r"\b(press|publishers?|publishing|springer|wiley|o'reilly|manning|packt|出版社)\b", re.I)


def parse_apa_authors(text: str) -> list[str]:
    """'Hinton, G., Vinyals, O., & Dean, J.' -> ['G. Hinton', 'O. Vinyals', 'J. Dean']."""
    text = text.replace("&", ",").replace("…", ",").replace("...", ",")
    text = re.sub(r"\s+and\s+", ", ", text)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out: list[str] = []
    i = 0
    while i < len(parts):
        family = parts[i]
        given = parts[i + 1] if i + 1 < len(parts) and re.fullmatch(r"(?:[A-Z]\.\s*-?\s*)+(?:[A-Z]\.?)?|[A-Z][a-z]?\.?(?:\s*[A-Z]\.)*", parts[i + 1]) else None
        if given:
            out.append(f"{given.strip()} {family}".strip())
            i += 2
        else:
            if re.search(r"[A-Za-z]", family) and not re.fullmatch(r"et al\.?", family):
                out.append(family)
            i += 1
    return out


@dataclass
class Reference:
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    style: str = ""


def _without_identifiers(text: str) -> str:
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(?i)\bdoi\s*[:：]\s*\S+", " ", text)
    text = re.sub(r"(?i)\barxiv\s*[:：]?\s*\d{4}\.\d{4,5}(v\d+)?", " ", text)
    text = DOI.sub(" ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]|（\s*）", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip(" ,;.:") + ("." if text.rstrip().endswith(".") else "")


def drop_generic_links(text: str) -> str:
    """'[[pdf]](…)', '[code](…)', '[论文](…)' removed: links that name their kind, not a title."""
    return _LINK.sub(lambda m: " " if is_generic_link_text(strip_inline(m.group("text"))) else m.group(0), text)


def parse_reference(text: str) -> Reference | None:
    """An APA-like or 'Author et al., Title, Venue Year' reference, or None."""
    plain = _without_identifiers(strip_inline(drop_generic_links(text))).strip().rstrip(",;")
    m = _APA.match(plain)
    if m and re.search(r"[A-Z][\w\-']+,\s*(?:[A-Z]\.|[A-Z][a-z]+)", m.group("authors")):
        title = m.group("title").rstrip(".").strip()
        venue = (m.group("venue") or "").strip().rstrip(".") or None
        if venue:
            venue = re.sub(r"^In\s+", "", venue)
            venue = re.sub(r"\s*\((?:pp|vol)\.[^)]*\)\.?$", "", venue).strip() or None
        return Reference(clean_title(title), parse_apa_authors(m.group("authors")), int(m.group("year")), venue, "apa")
    m = _ETAL_HEAD.match(plain)
    if m and (m.group("year") or YEAR.search(m.group("rest")) or _QUOTE_RE.search(m.group("rest")) or _ITALIC_RE.search(m.group("rest"))
              or "et al" in m.group("authors")):
        # "Smith and Jones, Title, Venue 2020"; prose ("Lectures Tuesdays and Thursdays. Readings ...") has no year or quotes
        rest = m.group("rest").strip()
        year = int(m.group("year")) if m.group("year") else None
        venue = None
        q = _QUOTE_RE.search(rest) or _ITALIC_RE.search(rest)
        if q:
            title = next(g for g in q.groups() if g)
            tail = rest[q.end():].strip(" ,.;")
        else:
            segments = re.split(r"(?<=[\w)])[,.]\s+", rest)
            tail = ""
            if len(segments) > 1 and _VENUE_YEAR.match(segments[-1].strip()):
                tail = segments.pop().strip()
            title = ", ".join(segments)
        if tail:
            vm = _VENUE_YEAR.match(tail.strip(" ,."))
            if vm:
                venue = (vm.group("venue") or vm.group("venue2") or "").strip() or None
                if vm.group("year") and not vm.group("year").startswith("'"):  # '17 is a year, not a venue
                    year = year or int(vm.group("year"))
        if year is None:
            ym = YEAR.search(rest)
            year = int(ym.group(1)) if ym else None
        authors = [re.sub(r"\s+et\s+al\.?$", "", a).strip() for a in re.split(r"\s+(?:and|&)\s+", m.group("authors"))]
        return Reference(clean_title(title), authors, year, venue, "etal")
    m = _TITLE_FIRST.match(plain)
    if m and looks_like_title(m.group("title")) and not _NAME_ONLY.fullmatch(m.group("title")):
        authors = [re.sub(r"^and\s+|\s+et\s+al\.?$", "", a.strip()) for a in re.split(r",|\s+and\s+", m.group("authors"))]
        year = YEAR.search(m.group("venue"))
        venue = re.sub(r"[,\s]*'?(?:19|20)\d{2}.*$", "", m.group("venue")).strip(" ,.") or None
        return Reference(clean_title(m.group("title")), [a for a in authors if a and not a.startswith("et al")],
                         int(year.group(1)) if year else None, venue, "title_first")
    m = _AUTHOR_LIST.match(plain)
    if m and looks_like_title(m.group("title")):
        authors = [re.sub(r"^and\s+|\s+et\s+al\.?$", "", a.strip()) for a in m.group("authors").split(",")]
        year = YEAR.search(m.group("venue"))
        venue = re.sub(r"[,\s]*(?:19|20)\d{2}.*$", "", m.group("venue")).strip(" ,.") or None
        return Reference(clean_title(m.group("title")), [a for a in authors if a and a != "et al."], int(year.group(1)) if year else None,
                         venue, "authors")
    m = _ETAL_TAIL.match(plain)
    if m and looks_like_title(m.group("title")):
        authors = [re.sub(r"\s+et\s+al\.?$", "", a).strip() for a in re.split(r"\s+(?:and|&)\s+", m.group("authors"))]
        return Reference(
            clean_title(m.group("title")), authors, int(m.group("year")) if m.group("year") else None,
            (m.group("venue") or "").strip() or None, "etal",
        )
    return None


# -- the line -----------------------------------------------------------------------------------

@dataclass
class Item:
    kind: str
    text: str                           # the line, plain
    title: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    label: str | None = None            # the line's own label (书籍, Paper)
    mention: bool = False               # a paper named in passing ("the LoRA paper")
    reason: str | None = None           # why this kind, in a few words (`kb plan show --why`)
    url: str | None = None              # the paper link, for looking it up online


_COURSE_HINT = re.compile(r"课程|讲座|公开课|网课|\bcourses?\b|\blectures?\b|\bCS\s?\d{2,3}\w?\b|coursera|edx|udacity|mooc|deeplearning\.ai|专项", re.I)
_TUTORIAL_HINT = re.compile(r"教程|文档|博客|指南|手册|\btutorials?\b|\bdocs?\b|documentation|\bblog\b|\bguide\b|cookbook|notebook|\bhow[- ]to\b", re.I)
_BOOK_HINT = re.compile(r"《|第\s*\d+\s*[-–~]?\s*\d*\s*章|\bchapters?\b|\bbook\b|\btextbook\b|著[)）]?", re.I)
_PAPER_WORD = re.compile(r"论文|文章|\bpapers?\b|arxiv", re.I)
_TASK_HINT = re.compile(
    r"^(?:实现|复现|搭建|构建|设计|完成|运行|测试|编写|开发|部署|训练|微调|评估|对比|比较|整理|撰写|准备|执行|使用|设置|配置|尝试|探索|分析|调研|"
    r"implement|reproduce|re-implement|build|train|fine-?tune|write|run|set up|setup|deploy|evaluate|compare|benchmark|code|try|prepare|finish|submit|draft|profile|measure)",
    re.I,
)
_COLLECTION = re.compile(r"系列|相关论文|等论文|一些|若干|series of|papers on|\bseries\b", re.I)


def _kind_for_other_marked(text: str, section: str | None) -> str:
    if section in ("course", "tutorial", "book", "task"):
        if section == "course" and _TUTORIAL_HINT.search(text) and not _COURSE_HINT.search(text.replace("课程学习", "")):
            return "tutorial"
        return section
    return section or "other"


@dataclass
class LineLink:
    text: str
    url: str
    start: int
    end: int
    verdict: links_mod.Verdict


def line_links(body: str) -> list[LineLink]:
    """The links of a line: Markdown links and bare URLs, each with what it points at."""
    out: list[LineLink] = []
    for m in _LINK.finditer(body):
        out.append(LineLink(strip_inline(m.group("text")), m.group("url"), m.start(), m.end(), links_mod.verdict(m.group("url"), m.group("text"))))
    masked = _LINK.sub(lambda m: " " * len(m.group(0)), body)
    for start, end, url in links_mod.bare_urls(masked):
        out.append(LineLink("", url, start, end, links_mod.verdict(url)))
    out.sort(key=lambda l: l.start)
    return out


def _link_title(text: str) -> str | None:
    """A link's text when it is a title (not 'PDF', not a host name, not an id)."""
    t = clean_title(text)
    if not t or is_generic_link_text(t) or links_mod.is_host_name(t) or re.fullmatch(r"(?i)(arxiv\s*[:：]?\s*)?\d{4}\.\d{4,5}(v\d+)?", t):
        return None
    if find_doi(t) == t.lower():
        return None
    return t if looks_like_title(t) or re.search(r"[A-Za-z]{2,}", t) else None


def _glued_name(before: str, aliases: Callable[[str], str | None] | None) -> bool:
    """'BERT 《…》', 'LoRA《…》', 'InstructGPT：《…》', 'Transformer 《…》': a model's name written just
    before the title (capitals inside or digits, as model names have, or a name the catalog knows);
    an author's name ('Goodfellow 《Deep Learning》') is not one."""
    tail = re.sub(r"[*_`]", "", before).rstrip()
    m = re.search(r"(?:^|[\s(（、，,])([A-Za-z][A-Za-z0-9\-.+]*)\s*[:：]?$", tail)
    if not m:
        return False
    name = m.group(1)
    return bool(re.search(r"^.[^A-Z]*[A-Z]|\d", name)) or bool(aliases and aliases(name))


_READ_PAPER = re.compile(r"^(?:阅读|精读|泛读|研读|细读|读|看)?(?:一下|完)?(?:论文|文章)\s*[:：]?\s*(?P<title>[A-Z0-9][^\u3400-\u9fff]{8,})$")


def _is_prose(plain: str) -> bool:
    """A sentence or two of prose (a list's introduction), not a title: several sentences, or a
    long line that ends in a full stop and talks to the reader."""
    t = plain.strip()
    words = _LATIN_WORD.findall(t)
    if re.search(r"[a-z]{2}[.!?]\s+[A-Z][a-z]", t) and len(words) >= 8:
        return True
    return len(words) >= 10 and t.endswith(".") and bool(re.search(r"(?i)\b(i|we|you|here|this list|these)\b", t))


def _english_title_line(plain: str) -> bool:
    """A line that is only an English title: no Chinese, capitalised, three or more words, not an
    instruction ('reproduce the numbers') and not a sentence ending in a full stop."""
    t = plain.strip()
    if _CJK.search(t) or not re.match(r"[A-Z0-9]", t) or t.endswith((".", "。", "?", "!")) and not t.endswith("?"):
        return False
    verb = _TASK_HINT.match(t)
    if (verb and (verb.end() == len(t) or not t[verb.end()].isalpha())) or re.search(r"https?://", t):
        return False  # "Implement …", "Run …"; "Benchmarking Large Language Models …" is a title
    if _COURSE_HINT.search(t) or _TUTORIAL_HINT.search(t) or re.search(r"(?i)\b(chapters?|book|textbook|video|talk|slides)\b", t):
        return False  # "Hugging Face NLP Course Chapter 1-3", "PEFT docs": not a paper's title
    words = _LATIN_WORD.findall(t)
    # "OSDI, ASPLOS, MLSys" or "IEEE TPAMI, IEEE TKDE" are acronyms, not a title
    return len(words) >= 3 and sum(1 for w in words if re.search(r"[a-z]{2}", w)) >= 2 and len(t) <= 250


def classify(
    text: str,
    section: str | None,
    *,
    checked: bool | None = None,
    aliases: Callable[[str], str | None] | None = None,
    lang: str | None = None,
) -> list[Item]:
    """The items one line holds (usually one; a line naming several papers gives several), each
    with the reason for its kind.

    section: the kind its section implies (paper, book, course, tutorial, task, other, mixed, skip) or None.
    aliases: short name -> canonical title (from the catalog), for mentions like "the LoRA paper".
    lang: the plan's language ("zh": an English title alone on a line stands out as a paper).
    """
    raw = text.strip()
    label, rest = split_label(raw)
    label_kind = section_kind(label, strict=bool(rest)) if label else None
    body = rest if label else raw
    if label and not rest:
        return []  # a bare label is a section, not an item
    ctx = label_kind or section
    if ctx == SKIP:
        return []  # 主要观点 / 作者 / 示例: what is said about the item above, not an item
    plain = strip_inline(body)
    if not plain:
        return []
    where = f"under {section_label(label, ctx)}" if ctx else ""

    def item(kind: str, title: str | None = None, reason: str = "", **kw) -> Item:
        return Item(kind, plain, title, label=label, reason=reason, **kw)

    # The links say a lot: a paper's host and path, or a video, a wiki page, a blog.
    found = line_links(body)
    paper_links = [l for l in found if l.verdict.kind == "paper"]
    other_links = [l for l in found if l.verdict.kind not in (None, "paper")]
    hrefs = " ".join(l.url for l in found)
    arxiv = find_arxiv(body + " " + hrefs)
    doi = find_doi(hrefs + " " + body)

    # several papers on one line, each under its own link ("[BERT](…), [RoBERTa](…)")
    titled = [(l, _link_title(l.text)) for l in paper_links]
    titled = [(l, t) for l, t in titled if t]
    if len(titled) >= 2 and len({titles_normalize(t) for _, t in titled}) == len(titled):
        return [item("paper", t, f"{l.verdict.reason}; one of {len(titled)} paper links on the line",
                     arxiv_id=find_arxiv(l.url), doi=find_doi(l.url), year=_year(l.url, find_arxiv(l.url)), url=l.url)
                for l, t in titled]

    ref = parse_reference(body) if ctx not in ("course", "tutorial", "task") or arxiv or doi or paper_links else None
    if ref and ref.style == "apa":
        kind = "book" if (ref.venue and _PUBLISHER.search(ref.venue) and not arxiv and not doi) else "paper"
        why = "a reference (authors, year, title, venue)" + (" published by a press: a book" if kind == "book" else "")
        return [item(kind, ref.title, why, arxiv_id=arxiv, doi=doi, year=ref.year, authors=ref.authors, venue=ref.venue)]

    spans = quoted_spans(body)
    title_spans = [q for q in spans if looks_like_title(q.text) or q.style == "book"]

    if arxiv or doi or paper_links:
        title = _title_from(body, title_spans, ref, paper_links)
        year = ref.year if ref and ref.year else _year(plain, arxiv)
        if paper_links:
            why = paper_links[0].verdict.reason
        else:
            why = f"arXiv id {arxiv}" if arxiv else f"DOI {doi}"
        return [item("paper", title, why, arxiv_id=arxiv, doi=doi, year=year, authors=ref.authors if ref else [],
                     venue=ref.venue if ref else None, url=paper_links[0].url if paper_links else None)]

    # A line whose only links point at something that is not a paper is that thing, whatever its section.
    outside = [q for q in spans if q.style != "link"]
    if other_links and not outside and not ref:
        main = other_links[0]
        name = _link_title(main.text)
        if ctx == "paper" and name and main.verdict.kind == "other" and aliases is not None and aliases(name):
            # "[LoRA](github.com/microsoft/LoRA)" under a papers heading: the paper, linked by its code
            return [item("paper", name, f"the catalog knows {name!r} as a paper {where} (the link is to its code)")]
        kind = ctx if ctx in ("book", "course", "tutorial", "task") else main.verdict.kind
        t = _link_title(main.text) or _short_title(_strip_spans(body, [Quoted("", "link", l.start, l.end) for l in found]), kind or "other")
        return [item(kind or "other", t if kind not in ("task", "other") else None, main.verdict.reason)]

    if ref and ctx not in ("book", "course", "tutorial", "task"):
        return [item("paper", ref.title, "a reference (authors, title, venue)", year=ref.year, authors=ref.authors, venue=ref.venue)]

    if ctx == "paper":
        papers = [q for q in title_spans if q.style != "italic" or len(title_spans) == 1]
        if papers:
            out = []
            for q in papers:
                t = clean_title(q.text)
                if _COLLECTION.search(t) and (_CJK.search(t) or "series" in t.lower()):
                    out.append(item("other", t, "names a series of papers, not one"))
                    continue
                out.append(item("paper", t, f"a {_STYLE_WORD[q.style]} title {where}",
                                year=_year(_outside(body, q)), authors=_authors_in(_outside(body, q))))
            return out
        candidate = clean_title(_LEADING_VERB.sub("", plain))
        if _is_prose(plain):
            return [item("other", None, f"a sentence, not a title, though {where}")]
        if looks_like_title(candidate) and not _TASK_HINT.match(plain):
            return [item("paper", candidate, f"a title {where}", year=_year(plain))]
        mentioned = _mentions(plain, aliases)
        if mentioned:
            return [item("paper", t, "a paper named by its short name next to the word paper", mention=True) for t in mentioned]
        return [item("other", None, f"not a title, though {where}")]

    if ctx == "other":
        return [item("other", None, f"{where}")]

    if ctx in ("book", "course", "tutorial", "task"):
        kind = _kind_for_other_marked(plain, ctx)
        named = [q for q in spans if q.style != "italic"] or spans
        # a book is its title; a course or tutorial reads better whole ("Hugging Face课程“…”入门章节")
        t = named[0].text if named and kind == "book" else None
        if kind == "task" and aliases is not None and _PAPER_WORD.search(simplified(plain)):
            mentioned = _mentions(_strip_spans(body, spans), aliases)
            if mentioned:
                return [item("task", None, where)] + [item("paper", m, "a paper named in a task", mention=True) for m in mentioned]
        return [item(kind, clean_title(t) if t else _short_title(plain, kind), where)]

    # No section says what this is (or a mixed resources list): go by the line itself.
    items: list[Item] = []
    for q in title_spans:
        before = body[max(0, q.start - 12): q.start]
        t = clean_title(q.text)
        if q.style == "book":
            if re.search(r"论文|文章|paper", simplified(before), re.I):
                items.append(item("paper", t, "《…》 after the word 论文/paper"))
            elif _LATIN_WORD.search(t) and not _CJK.search(t) and _glued_name(body[: q.start], aliases):
                items.append(item("paper", t, "a model's name, then its paper's title in 《…》"))
            elif aliases is not None and not _CJK.search(t) and aliases(t):
                items.append(item("paper", t, "《…》 holds a title the catalog knows as a paper"))
            elif _COLLECTION.search(t):
                items.append(item("other", t, "names a series, not one work"))
            else:
                items.append(item("book", t, "《…》 is a book's title in Chinese usage"))
        elif _PAPER_WORD.search(simplified(before + body[q.end: q.end + 8])) or re.search(r"\bread\b|阅读", before, re.I):
            items.append(item("paper", t, f"a {_STYLE_WORD[q.style]} title next to the word paper/read", year=_year(_outside(body, q))))
        elif aliases is not None and aliases(t):
            items.append(item("paper", t, "a title the catalog knows as a paper"))
    papers = [i for i in items if i.kind == "paper"]
    mentioned = _mentions(_strip_spans(body, spans), aliases) if _PAPER_WORD.search(simplified(plain)) else []
    known = {i.title for i in papers}
    mention_items = [item("paper", m, "a paper named by its short name next to the word paper", mention=True) for m in mentioned if m not in known]
    if items or mention_items:
        own_kind = "task" if checked is not None and not (papers or mention_items) else None
        if (items and not papers) and not mention_items:
            return items
        if own_kind:
            return [item("task", None, "a checkbox line")] + items + mention_items
        return items + mention_items
    if not spans and aliases is not None and len(plain) > 12 and not _TASK_HINT.match(plain) and aliases(clean_title(plain)):
        return [item("paper", clean_title(plain), "the whole line is a title the catalog knows")]
    if lang == "zh" and not spans and _english_title_line(plain):
        return [item("paper", clean_title(plain), "an English title alone on a line of a Chinese plan")]
    after_word = _READ_PAPER.match(plain)
    if after_word and _english_title_line(after_word.group("title")):
        return [item("paper", clean_title(after_word.group("title")), "an English title after the words 阅读论文")]
    marker = re.search(r"(?i)\((course|lecture|video|tutorial|docs?|book)\)|^watch\b", plain)
    if marker:
        word = (marker.group(1) or "course").lower()
        kind = {"lecture": "course", "video": "course", "doc": "tutorial", "docs": "tutorial"}.get(word, word)
        return [item(kind, _short_title(re.sub(r"(?i)\s*\((course|lecture|video|tutorial|docs?|book)\)", "", plain), kind), f"marked ({word})")]
    if checked is not None or _TASK_HINT.match(plain):
        return [item("task", None, "a checkbox line" if checked is not None else "starts with a verb of doing")]
    if other_links:
        return [item(other_links[0].verdict.kind or "other", None, other_links[0].verdict.reason)]
    if ctx == MIXED or ctx is None:
        if _COURSE_HINT.search(plain):
            return [item("course", _short_title(plain, "course"), "names a course or lectures")]
        if _TUTORIAL_HINT.search(plain):
            return [item("tutorial", _short_title(plain, "tutorial"), "names a tutorial, docs or a blog")]
        if _BOOK_HINT.search(plain) and not _CJK.search(plain[:1]):
            return [item("book", _short_title(plain, "book"), "names a book or chapters")]
    return [item("other", None, "nothing marks it as a paper, book, course, tutorial or task")]


_STYLE_WORD = {"quote": "quoted", "book": "《…》", "italic": "italic", "link": "linked"}


def section_label(label: str | None, ctx: str | None) -> str:
    if label:
        return f"the label {label!r}"
    return {"paper": "a papers heading", "book": "a books heading", "course": "a courses heading", "tutorial": "a tutorials heading",
            "task": "a tasks heading", "other": "a heading for notes", MIXED: "a resources heading"}.get(ctx or "", "a heading")


def titles_normalize(text: str) -> str:
    from kb import titles

    return titles.normalize(text)


def _short_title(plain: str, kind: str) -> str | None:
    if kind in ("task", "other"):
        return None
    t = clean_title(plain)
    return t or None


def _outside(body: str, q: Quoted) -> str:
    return body[: q.start] + " " + body[q.end:]


def _strip_spans(body: str, spans: Iterable[Quoted]) -> str:
    out = body
    for q in sorted(spans, key=lambda q: -q.start):
        out = out[: q.start] + " " + out[q.end:]
    return strip_inline(out)


def _title_from(body: str, spans: list[Quoted], ref: Reference | None, paper_links: list[LineLink] = ()) -> str | None:
    """A paper line's title: a reference's title, the paper link's own text, a quoted title, or
    what is left of the line without its ids, links and remarks."""
    for l in paper_links:
        t = _link_title(l.text)
        if t:
            return t
    if ref and ref.title:
        return ref.title
    bold = [clean_title(m.group(2)) for m in re.finditer(r"(\*\*|__)(.+?)\1", body)]
    bold = [b for b in bold if looks_like_title(b)]
    if bold and not spans:
        return bold[0]  # "- **Title** (ICLR 2022) [[paper]](…) [[code]](…)"
    if spans:
        return clean_title(spans[0].text)
    plain = _without_identifiers(strip_inline(drop_generic_links(body)))
    plain = ARXIV_NEW.sub(" ", plain)
    plain = DOI.sub(" ", plain)
    plain = re.sub(r"(?i)\barxiv\b\s*[:：]?", " ", plain)
    plain = re.sub(r"\(\s*\)|\[\s*\]|（\s*）", " ", plain)
    t = clean_title(_LEADING_VERB.sub("", plain.strip(" -–—:：,;|")))
    t = re.sub(r"(?i)\s*(?:\bpaper|\bpdf|论文)$", "", t).strip()  # "BART [paper](…)" is BART
    if is_cjk_heavy(t):
        t = re.split(r"\s*[，。；,;]\s*", t)[0].strip()  # "直接偏好优化，不需要奖励模型": the name, not the remark
    return t if t and not is_generic_link_text(t) else None


def _year(text: str, arxiv: str | None = None) -> int | None:
    scrub = ARXIV_NEW.sub(" ", text)
    scrub = DOI.sub(" ", scrub)
    m = YEAR.search(scrub)
    if m:
        return int(m.group(1))
    if arxiv and re.fullmatch(r"\d{4}\.\d{4,5}", arxiv):
        return 2000 + int(arxiv[:2])
    return None


def _authors_in(text: str) -> list[str]:
    m = re.search(r"([A-Z][\w\-'’]+)\s+(?:et\s+al\.?|等)", text)
    return [m.group(1)] if m else []


_MENTION_SPLIT = re.compile(r"[\u3400-\u9fff，,、;；。()（）:：\"“”]+|\s+(?:and|&)\s+")


def _mentions(text: str, aliases: Callable[[str], str | None] | None) -> list[str]:
    """Papers named by their short names next to the word paper: "Transformer，bert,gan-bert的论文",
    "阅读相关 Flash Attention 论文", "the LoRA and QLoRA papers"."""
    if aliases is None:
        return []
    found: list[str] = []
    segments: list[str] = []
    for m in re.finditer(r"(?P<names>[^。；;\n]*?)(?:的)?\s*论文", text):
        segments.append(m.group("names"))
    for m in re.finditer(r"(?i)(?P<names>[\w\-., &]+?)\s+papers?\b", text):
        segments.append(re.sub(r"(?i)^.*\b(?:the|read|reread|skim|study)\s+", "", m.group("names")))
    for seg in segments:
        for chunk in _MENTION_SPLIT.split(seg):
            chunk = chunk.strip(" -_.")
            if not chunk or not re.search(r"[A-Za-z]", chunk):
                continue
            title = aliases(chunk)
            if title and title not in found:
                found.append(title)
    return found
