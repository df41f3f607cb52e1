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

KINDS = ("paper", "book", "course", "tutorial", "task", "other")
MIXED = "mixed"  # a section of resources of several kinds (推荐资源, Resources)

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
    "学习内容": "other", "学习时间": "other", "主要内容简述": "other", "主要观点": "other", "示例": "other",
    "标题": "other", "副标题": "other", "日期": "other", "论文网站": "other", "在线社区": "other", "学习建议": "other",
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
    if "课程" in key:
        return "course"
    if "书" in key:
        return "book"
    if any(w in key for w in ("教程", "文档", "博客")):
        return "tutorial"
    if any(w in key for w in ("实践", "实验", "产出", "项目", "练习", "作业")):
        return "task"
    if re.search(r"\b(papers?|readings?|references|literature)\b", key):
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
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
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
        if label and not re.fullmatch(r"(?i)(paper|pdf|arxiv|link|here|code|github|doi|blog|video|slides|html|abs|论文|链接|地址|原文)", label):
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


def parse_reference(text: str) -> Reference | None:
    """An APA-like or 'Author et al., Title, Venue Year' reference, or None."""
    plain = _without_identifiers(strip_inline(text)).strip()
    m = _APA.match(plain)
    if m and re.search(r"[A-Z][\w\-']+,\s*(?:[A-Z]\.|[A-Z][a-z]+)", m.group("authors")):
        title = m.group("title").rstrip(".").strip()
        venue = (m.group("venue") or "").strip().rstrip(".") or None
        if venue:
            venue = re.sub(r"^In\s+", "", venue)
            venue = re.sub(r"\s*\((?:pp|vol)\.[^)]*\)\.?$", "", venue).strip() or None
        return Reference(clean_title(title), parse_apa_authors(m.group("authors")), int(m.group("year")), venue, "apa")
    m = _ETAL_HEAD.match(plain)
    if m:
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


def classify(
    text: str,
    section: str | None,
    *,
    checked: bool | None = None,
    aliases: Callable[[str], str | None] | None = None,
) -> list[Item]:
    """The items one line holds (usually one; a line naming several papers gives several).

    section: the kind its section implies (paper, book, course, tutorial, task, other, mixed) or None.
    aliases: short name -> canonical title (from the catalog), for mentions like "the LoRA paper".
    """
    raw = text.strip()
    label, rest = split_label(raw)
    label_kind = section_kind(label, strict=bool(rest)) if label else None
    body = rest if label else raw
    if label and not rest:
        return []  # a bare label is a section, not an item
    ctx = label_kind or section
    plain = strip_inline(body)
    if not plain:
        return []

    # Identifiers anywhere in the line (links included) make it a paper.
    hrefs = " ".join(url for _, url in links(body))
    arxiv = find_arxiv(body + " " + hrefs)
    doi = find_doi(hrefs + " " + body)

    ref = parse_reference(body) if ctx not in ("course", "tutorial", "task") or arxiv or doi else None
    if ref and ref.style == "apa":
        kind = "book" if (ref.venue and _PUBLISHER.search(ref.venue) and not arxiv and not doi) else "paper"
        return [Item(kind, plain, ref.title, arxiv, doi, ref.year, ref.authors, ref.venue, label)]

    spans = quoted_spans(body)
    title_spans = [q for q in spans if looks_like_title(q.text) or q.style == "book"]

    if arxiv or doi:
        title = _title_from(body, title_spans, ref)
        year = ref.year if ref and ref.year else _year(plain, arxiv)
        return [Item("paper", plain, title, arxiv, doi, year, ref.authors if ref else [], ref.venue if ref else None, label)]

    if ref and ctx not in ("book", "course", "tutorial", "task"):
        return [Item("paper", plain, ref.title, None, None, ref.year, ref.authors, ref.venue, label)]

    if ctx == "paper":
        papers = [q for q in title_spans if q.style != "italic" or len(title_spans) == 1]
        if papers:
            out = []
            for q in papers:
                t = clean_title(q.text)
                if _COLLECTION.search(t) and (_CJK.search(t) or "series" in t.lower()):
                    out.append(Item("other", plain, t, label=label))
                    continue
                out.append(Item("paper", plain, t, year=_year(_outside(body, q)), authors=_authors_in(_outside(body, q)), label=label))
            return out
        candidate = clean_title(_LEADING_VERB.sub("", plain))
        if looks_like_title(candidate) and not _TASK_HINT.match(plain):
            return [Item("paper", plain, candidate, year=_year(plain), label=label)]
        mentioned = _mentions(plain, aliases)
        if mentioned:
            return [Item("paper", plain, t, label=label, mention=True) for t in mentioned]
        return [Item("other", plain, None, label=label)]

    if ctx == "other":
        return [Item("other", plain, None, label=label)]

    if ctx in ("book", "course", "tutorial", "task"):
        kind = _kind_for_other_marked(plain, ctx)
        named = [q for q in spans if q.style != "italic"] or spans
        # a book is its title; a course or tutorial reads better whole ("Hugging Face课程“…”入门章节")
        t = named[0].text if named and kind == "book" else None
        if kind == "task" and aliases is not None and _PAPER_WORD.search(plain):
            mentioned = _mentions(_strip_spans(body, spans), aliases)
            if mentioned:
                return [Item("task", plain, None, label=label)] + [Item("paper", plain, m, label=label, mention=True) for m in mentioned]
        return [Item(kind, plain, clean_title(t) if t else _short_title(plain, kind), label=label)]

    # No section says what this is (or a mixed resources list): go by the line itself.
    items: list[Item] = []
    for q in title_spans:
        before = body[max(0, q.start - 12): q.start]
        t = clean_title(q.text)
        if q.style == "book":
            if re.search(r"论文|文章|paper", before, re.I):
                items.append(Item("paper", plain, t, label=label))
            elif _COLLECTION.search(t):
                items.append(Item("other", plain, t, label=label))
            else:
                items.append(Item("book", plain, t, label=label))
        elif _PAPER_WORD.search(before + body[q.end: q.end + 8]) or re.search(r"\bread\b|阅读", before, re.I):
            items.append(Item("paper", plain, t, year=_year(_outside(body, q)), label=label))
        elif aliases is not None and aliases(t):
            items.append(Item("paper", plain, t, label=label))
    papers = [i for i in items if i.kind == "paper"]
    mentioned = _mentions(_strip_spans(body, spans), aliases) if _PAPER_WORD.search(plain) else []
    known = {i.title for i in papers}
    mention_items = [Item("paper", plain, m, label=label, mention=True) for m in mentioned if m not in known]
    if items or mention_items:
        own_kind = "task" if checked is not None and not (papers or mention_items) else None
        if (items and not papers) and not mention_items:
            return items
        if own_kind:
            return [Item("task", plain, None, label=label)] + items + mention_items
        return items + mention_items
    marker = re.search(r"(?i)\((course|lecture|video|tutorial|docs?|book)\)|^watch\b", plain)
    if marker:
        word = (marker.group(1) or "course").lower()
        kind = {"lecture": "course", "video": "course", "doc": "tutorial", "docs": "tutorial"}.get(word, word)
        return [Item(kind, plain, _short_title(re.sub(r"(?i)\s*\((course|lecture|video|tutorial|docs?|book)\)", "", plain), kind), label=label)]
    if checked is not None or _TASK_HINT.match(plain):
        return [Item("task", plain, None, label=label)]
    if ctx == MIXED or ctx is None:
        if _COURSE_HINT.search(plain):
            return [Item("course", plain, _short_title(plain, "course"), label=label)]
        if _TUTORIAL_HINT.search(plain):
            return [Item("tutorial", plain, _short_title(plain, "tutorial"), label=label)]
        if _BOOK_HINT.search(plain) and not _CJK.search(plain[:1]):
            return [Item("book", plain, _short_title(plain, "book"), label=label)]
    return [Item("other", plain, None, label=label)]


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


def _title_from(body: str, spans: list[Quoted], ref: Reference | None) -> str | None:
    if ref and ref.title:
        return ref.title
    if spans:
        return clean_title(spans[0].text)
    plain = _without_identifiers(strip_inline(body))
    plain = ARXIV_NEW.sub(" ", plain)
    plain = DOI.sub(" ", plain)
    plain = re.sub(r"(?i)\barxiv\b\s*[:：]?", " ", plain)
    plain = re.sub(r"\(\s*\)|\[\s*\]|（\s*）", " ", plain)
    t = clean_title(_LEADING_VERB.sub("", plain.strip(" -–—:：,;|")))
    return t or None


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
