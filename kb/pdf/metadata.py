"""Who wrote it and what it is called, from the first page (the PDF's Info dictionary is
usually empty or wrong for LaTeX papers, so it is only a fallback)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kb.papers import normalize_arxiv, normalize_doi
from kb.pdf.layout import PageLayout
from kb.pdf.model import PdfMetadata

_STAMP_RE = re.compile(r"arXiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_YEAR_IN_STAMP_RE = re.compile(r"\b(?:19|20)\d{2}\b")
_NOT_A_NAME = re.compile(
    r"\d|@|university|universit|institute|college|school|department|google|microsoft|facebook|meta|research|"
    r"inc\b|corporation|labs?\b|academy|center|centre|\bai\b|deepmind|openai|washington|stanford|abstract|"
    r"equal contribution|correspondence|version|http|\.com|\.edu|hugging face|mountain view|paris|\bens\b",
    re.I,
)
_PLACEHOLDER_TITLES = re.compile(r"^(untitled|microsoft word|arxiv|paper|document|main)\b|\.(tex|dvi|docx?)$", re.I)


def detect(first: PageLayout, info: dict, path: Path, body_size: float, words: Counter[str] | None = None) -> PdfMetadata:
    title, title_bottom = _title(first, info, words or Counter())
    arxiv = _arxiv_id(first, path)
    year = None
    if arxiv and re.match(r"\d{4}\.", arxiv):
        year = 2000 + int(arxiv[:2])  # the first version's year; the stamp dates the latest
    else:
        stamp = _STAMP_RE.search(first.margin_text)
        years = _YEAR_IN_STAMP_RE.findall(first.margin_text[stamp.end():]) if stamp else []
        year = int(years[0]) if years else None
    page_text = " ".join(line.text for line in first.lines)
    doi = normalize_doi(info.get("doi") or "") or normalize_doi(_doi_text(page_text))
    return PdfMetadata(
        title=title, authors=_authors(first, title_bottom, info, body_size), year=year, arxiv_id=arxiv, doi=doi,
        abstract=_abstract(first),
    )


def _title(first: PageLayout, info: dict, words: Counter[str]) -> tuple[str | None, float]:
    """The largest text in the top half of page 1 (consecutive lines of that size)."""
    candidates = [l for l in first.lines if l.y0 < first.height * 0.5 and sum(ch.isalpha() for ch in l.text) >= 3]
    if candidates:
        biggest = max(l.size for l in candidates)
        lines = [l for l in candidates if abs(l.size - biggest) < 0.6]
        first_line = lines[0]
        block = [l for l in lines if l.block == first_line.block or abs(l.y0 - first_line.y0) < 4 * biggest]
        text = _join_title(l.text for l in block)
        if len(text) >= 8:
            if text.isupper():
                text = _title_case(text, words)
            return text, max(l.bbox[3] for l in block)
    meta = (info.get("title") or "").strip()
    if meta and not _PLACEHOLDER_TITLES.search(meta):
        return meta, 0.0
    return None, 0.0


def _join_title(parts) -> str:
    out = ""
    for part in parts:
        part = part.strip()
        if out.endswith("-") and part[:1].isupper() and out[-2:-1].isupper():
            out = out[:-1] + part  # "LAN-" + "GUAGE": a word broken in an all-caps title
        else:
            out = f"{out} {part}".strip()
    return re.sub(r"\s+", " ", out)


def _title_case(text: str, spellings: Counter[str]) -> str:
    """An all-capitals title in the casing the paper itself uses ("LORA" → "LoRA")."""
    small = {"a", "an", "the", "of", "for", "and", "in", "to", "with", "on", "via", "by", "at", "is"}
    words = []
    for i, word in enumerate(text.split()):
        parts = []
        for part in word.split("-"):
            core = part.strip(":,.")
            variants = [(n, w) for w, n in spellings.items() if w.lower() == core.lower() and not w.isupper()]
            best = max(variants)[1] if variants else core.lower()
            if best.islower() and not (i and best in small):
                best = best.capitalize()
            parts.append(part.replace(core, best))
        words.append("-".join(parts))
    return " ".join(words)


def spellings(pages: list[PageLayout]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for page in pages:
        for line in page.lines:
            counts.update(re.findall(r"[^\W_]+", line.text))
    return counts


def _arxiv_id(first: PageLayout, path: Path) -> str | None:
    stamp = _STAMP_RE.search(first.margin_text) or _STAMP_RE.search(" ".join(l.text for l in first.lines))
    if stamp:
        return stamp.group(1)
    # Files saved from arxiv.org keep their id as the name: 2106.09685v2.pdf
    return normalize_arxiv(path.stem) if re.fullmatch(r"\d{4}\.\d{4,5}(v\d+)?", path.stem) else None


def _doi_text(text: str) -> str:
    match = re.search(r"(?:doi\s*:?\s*|doi\.org/)(10\.\d{4,9}/\S+)", text, re.I)
    return match.group(1) if match else ""


def _authors(first: PageLayout, title_bottom: float, info: dict, body_size: float) -> list[str]:
    meta = info.get("author") or ""
    if meta.strip() and not re.search(r"^(user|admin|author)$", meta.strip(), re.I):
        names = [n.strip() for n in re.split(r",|;|\band\b", meta) if n.strip()]
        if names:
            return names
    names: list[str] = []
    for line in first.lines:
        if line.y0 <= title_bottom or line.size < body_size - 1.5:
            continue
        if re.match(r"^\s*abstract\b", line.text, re.I) or line.size < body_size - 0.6 and names:
            break
        if len(line.text) > 120:
            break
        for part in re.split(r",|\band\b|\s{2,}|;|\u2217|\*|†|‡|§|¶", line.text):
            part = re.sub(r"[\d∗*†‡§¶\u0370-\u03ff∓±]+$", "", part).strip(" ,.")
            if _looks_like_name(part):
                names.append(" ".join(w.capitalize() if w.isupper() and len(w) > 2 else w for w in part.split()))
        if len(names) >= 20:
            break
    return _split_runs(names)


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 4 or _NOT_A_NAME.search(text):
        return False
    return all(w[0].isupper() or w.lower() in ("de", "van", "von", "der", "da") for w in words)


def _split_runs(names: list[str]) -> list[str]:
    """"Edward Hu Yelong Shen Phillip Wallis" is several names on one line without commas."""
    out = []
    for name in names:
        words = name.split()
        if len(words) == 4 and all(w[0].isupper() for w in words):
            out += [" ".join(words[:2]), " ".join(words[2:])]
        else:
            out.append(name)
    seen, unique = set(), []
    for name in out:
        if name not in seen:
            seen.add(name)
            unique.append(name)
    return unique


def _abstract(first: PageLayout) -> str | None:
    lines = first.lines
    for i, line in enumerate(lines):
        if re.fullmatch(r"abstract[.:]?", line.text.strip(), re.I):
            body = []
            for later in lines[i + 1:]:
                if later.block != lines[i + 1].block and len(body) > 3 and (later.bold or re.match(r"^1\.?\s+[A-Z]", later.text)):
                    break
                body.append(later.text)
                if len(" ".join(body)) > 3000:
                    break
            from kb.pdf.text import join_lines

            return join_lines(body) or None
    return None
