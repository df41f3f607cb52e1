"""Papers in the store: find-or-create with de-duplication, resolution of a user's PAPER
argument, reading status."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from kb import titles
from kb.errors import Ambiguous, BadInput, NotFound
from kb.store import Store
from kb.values import row_id

STATUSES = ("unread", "reading", "read", "reviewed")

ARXIV_RE = re.compile(r"(?<![\w.])(?:arxiv[:\s/]*|abs/|pdf/)?(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])", re.I)
ARXIV_OLD_RE = re.compile(r"arxiv[:\s/]*([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I)
# A DOI as Crossref defines it: `10.` + registrant + `/` + a suffix of any printable characters,
# parentheses and SICI's `<…>` and `;` included (10.1016/S0092-8674(00)81191-5,
# 10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O). Where it ends in running text
# is decided after the match: trailing punctuation and unbalanced closing brackets are not part of it.
DOI_RE = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s\"'，。；、）]+)", re.I)
# A shortDOI (https://shortdoi.org): `10/abcde`, only as a whole value, never picked out of prose.
SHORT_DOI_RE = re.compile(r"^\s*(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10/[a-z0-9]+)\s*$", re.I)
_DOI_PAIRS = {")": "(", "]": "[", ">": "<", "}": "{"}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_arxiv(value: str | None) -> str | None:
    if not value:
        return None
    match = ARXIV_RE.search(value) or ARXIV_OLD_RE.search(value)
    return match.group(1) if match else None


def normalize_doi(value: str | None) -> str | None:
    """The DOI in `value` (a bare DOI, `doi:…`, a doi.org URL, percent-encoded or in running
    text), lower-cased as DOIs are case-insensitive; None if there is none."""
    if not value:
        return None
    text = str(value)
    if "%" in text:
        from urllib.parse import unquote

        text = unquote(text)
    short = SHORT_DOI_RE.match(text)
    if short:
        return short.group(1).lower()
    match = DOI_RE.search(text)
    if not match:
        return None
    return _trim_doi(match.group(1)).lower() or None


def _trim_doi(doi: str) -> str:
    """Drop what running text appends to a DOI: a full stop or comma, a closing bracket that
    opened before the DOI. Balanced brackets inside it stay."""
    doi = doi.split("</", 1)[0]  # a DOI in markup: the closing tag is not part of it
    while doi:
        last = doi[-1]
        if last in ".,;:!?*":
            doi = doi[:-1]
        elif last in _DOI_PAIRS and doi.count(last) > doi.count(_DOI_PAIRS[last]):
            doi = doi[:-1]
        else:
            break
    return doi if re.fullmatch(r"10\.\d{4,9}/.+", doi) else ""


@dataclass
class Paper:
    id: int
    citekey: str
    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    abstract: str | None = None
    url: str | None = None
    zotero_key: str | None = None
    zotero_library: str | None = None
    status: str = "unread"
    status_at: str | None = None
    source: str = "plan"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Paper":
        return cls(
            id=row["id"], citekey=row["citekey"], title=row["title"], authors=json.loads(row["authors"] or "[]"),
            year=row["year"], venue=row["venue"], arxiv_id=row["arxiv_id"], doi=row["doi"], abstract=row["abstract"],
            url=row["url"], zotero_key=row["zotero_key"], zotero_library=row["zotero_library"], status=row["status"],
            status_at=row["status_at"], source=row["source"],
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def first_author_family(self) -> str:
        return family_name(self.authors[0]) if self.authors else ""


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
# Chinese two-character family names; any other Chinese name's family name is its first character.
_COMPOUND_SURNAMES = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
                      "轩辕", "令狐", "钟离", "闾丘", "澹台", "公冶", "宗政", "濮阳", "太史", "申屠", "端木", "西门", "南宫"}


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def cjk_name(family: str, given: str) -> str:
    """A name as written in Chinese, Japanese or Korean: family name first, no space (方明月)."""
    return f"{family.strip()}{given.strip()}"


def cjk_family_first(name: str) -> str:
    """A Chinese name written with a space, either way round ("明月 方", "方 明月"), as it is
    written in Chinese: 方明月. The one- (or known two-) character part is the family name."""
    parts = name.split()
    if len(parts) != 2 or not all(_CJK.fullmatch(ch) for ch in "".join(parts)):
        return name
    first, second = parts
    if len(second) == 1 or second in _COMPOUND_SURNAMES:
        return second + first
    return first + second


def family_name(author: str) -> str:
    author = author.strip()
    if "," in author:
        return author.split(",", 1)[0].strip()
    if is_cjk(author) and " " not in author:
        return author[:2] if author[:2] in _COMPOUND_SURNAMES else author[:1]
    parts = author.split()
    return parts[-1] if parts else ""


_STOP = {"a", "an", "the", "on", "of", "for", "and", "in", "to", "with", "is", "are", "via", "by", "from", "towards", "toward"}


def citekey_year(year: int | None, arxiv_id: str | None = None) -> int | None:
    """The year a citekey carries: when the work first appeared. A new-style arXiv id dates it
    (2106.09685 is June 2021), so LoRA is hu2021lora whether a plan, the 2022 ICLR version in
    Zotero or the arXiv listing was imported first."""
    found = re.fullmatch(r"(\d\d)(\d\d)\.\d{4,5}", arxiv_id or "")
    if found and 1 <= int(found.group(2)) <= 12:
        return 2000 + int(found.group(1))
    return year


def make_citekey(title: str, authors: Iterable[str], year: int | None) -> str:
    """Better-BibTeX-like key: family name of the first author (a Chinese one in pinyin), year,
    first meaningful title word."""
    authors = list(authors)
    fam = re.sub(r"[^a-z]", "", _romanised(family_name(authors[0]) if authors else "").lower())
    head = "paper"
    for token in titles.normalize(title).split():
        if _CJK.match(token):  # Chinese has no spaces between words: a run's first two characters stand for its first word
            token = token[:2]
        word = re.sub(r"[^a-z0-9]", "", _romanised(token).lower())
        if word and word not in _STOP and not word.isdigit():
            head = word
            break
    return f"{fam or 'anon'}{year or ''}{head}"


def _romanised(text: str) -> str:
    """ASCII for a key: accents off (Svärd → Svard), Chinese characters in pinyin without tones
    (方 → fang), as Better BibTeX does."""
    if is_cjk(text):
        from pypinyin import Style, lazy_pinyin

        text = "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default"))
    return _ascii(text)


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _unique_citekey(store: Store, base: str) -> str:
    """`base`, else `base` + a, b, ..., z, aa, bb, ... (Better BibTeX's disambiguation)."""
    taken = {r[0] for r in store.all("SELECT citekey FROM papers WHERE citekey >= ? AND citekey < ?", (base, base + "\uffff"))}
    key, n = base, 0
    while key in taken:
        n += 1
        key = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * (1 + (n - 1) // 26)
    return key


def get(store: Store, paper_id: int) -> Paper:
    row = store.one("SELECT * FROM papers WHERE id = ?", (paper_id,))
    if row is None:
        raise NotFound(f"no paper with id {paper_id}")
    return Paper.from_row(row)


def all_papers(store: Store) -> list[Paper]:
    return [Paper.from_row(r) for r in store.all("SELECT * FROM papers ORDER BY id")]


def find_match(
    store: Store, *, title: str | None = None, arxiv_id: str | None = None, doi: str | None = None,
    threshold: float = titles.MATCH_THRESHOLD,
) -> Paper | None:
    """The stored paper that is the same work: by arXiv id, then DOI, then fuzzy title."""
    arxiv_id = normalize_arxiv(arxiv_id)
    doi = normalize_doi(doi)
    if arxiv_id:
        row = store.one("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        if row:
            return Paper.from_row(row)
    if doi:
        row = store.one("SELECT * FROM papers WHERE doi = ?", (doi,))
        if row:
            return Paper.from_row(row)
    if title:
        norm = titles.normalize(title)
        row = store.one("SELECT * FROM papers WHERE title_norm = ?", (norm,))
        if row:
            return Paper.from_row(row)
        best_id, best_score = None, 0.0
        for paper_id, candidate in _title_candidates(store, norm, threshold):
            score = titles.similarity(norm, candidate)
            if score > best_score:
                best_id, best_score = paper_id, score
        if best_id is not None and best_score >= threshold:
            best = get(store, best_id)
            # Two distinct ids on both sides mean two different works, whatever the titles say.
            if arxiv_id and best.arxiv_id and best.arxiv_id != arxiv_id:
                return None
            return best
    return None


def _title_candidates(store: Store, norm: str, threshold: float, limit: int = 8) -> list[tuple[int, str]]:
    """The stored titles worth scoring against `norm`: the closest few by a fast rapidfuzz pass,
    plus any title that starts with it or that it starts with (short and long forms)."""
    from rapidfuzz import fuzz, process

    ids, norms, sorted_norms = _title_index(store)
    if not norms:
        return []
    # Cut-offs just below what titles.similarity could turn into a match: rapidfuzz skips the rest
    # early. Token-sort ratio is plain ratio over pre-sorted tokens, sorted once per title.
    picked = {i for _, _, i in process.extract(norm, norms, scorer=fuzz.ratio, limit=limit, score_cutoff=threshold - 1)}
    picked |= {i for _, _, i in process.extract(titles.token_sorted(norm), sorted_norms, scorer=fuzz.ratio, limit=limit, score_cutoff=threshold)}
    out = [(ids[i], norms[i]) for i in sorted(picked)]
    if len(norm) >= 12:
        out += _prefix_relatives(store, norm)
    return out


def _prefix_relatives(store: Store, norm: str) -> list[tuple[int, str]]:
    """Titles that extend `norm` ("lora" → "lora low rank adaptation ...") or that it extends."""
    rows = store.all(
        "SELECT id, title_norm FROM papers WHERE title_norm >= ? AND title_norm < ? LIMIT 20", (norm, norm + "\uffff")
    )
    words = norm.split()
    heads = [" ".join(words[:n]) for n in range(1, len(words))]
    heads = [h for h in heads if len(h) >= 12]
    if heads:
        rows += store.all(f"SELECT id, title_norm FROM papers WHERE title_norm IN ({', '.join('?' * len(heads))})", heads)
    return [(r[0], r[1]) for r in rows]


def _title_index(store: Store) -> tuple[list[int], list[str], list[str]]:
    """All (id, title_norm), cached on the store until the papers table changes; a sync of
    thousands of items would otherwise re-read every title for every item."""
    signature = _title_signature(store)
    cached = getattr(store, "_title_index_cache", None)
    if cached and cached[0] == signature:
        return cached[1], cached[2], cached[3]
    rows = store.all("SELECT id, title_norm FROM papers ORDER BY id")
    ids, norms = [r[0] for r in rows], [r[1] for r in rows]
    store._title_index_cache = (signature, ids, norms, [titles.token_sorted(n) for n in norms])
    return ids, norms, store._title_index_cache[3]


def _title_signature(store: Store) -> tuple:
    """Changes when another connection writes (data_version) or rows come and go; this
    connection's own title writes go through _remember_title."""
    return (store.scalar("PRAGMA data_version"), *store.one("SELECT count(*), max(id) FROM papers"))


def _remember_title(store: Store, paper_id: int, norm: str) -> None:
    """Keep the cached index in step with this connection's own writes (no full reload)."""
    cached = getattr(store, "_title_index_cache", None)
    if not cached:
        return
    _, ids, norms, sorted_norms = cached
    if paper_id in ids:
        norms[ids.index(paper_id)] = norm
        sorted_norms[ids.index(paper_id)] = titles.token_sorted(norm)
    else:
        ids.append(paper_id)
        norms.append(norm)
        sorted_norms.append(titles.token_sorted(norm))
    store._title_index_cache = (_title_signature(store), ids, norms, sorted_norms)


_FIELDS = ("title", "authors", "year", "venue", "arxiv_id", "doi", "abstract", "url", "zotero_key", "zotero_library")


def upsert(store: Store, *, title: str, source: str = "plan", overwrite: bool = False, **fields: Any) -> tuple[Paper, bool]:
    """Find the paper (see find_match) and fill in what it lacks, or create it. Returns (paper, created).

    With overwrite=True the given fields replace stored ones (a Zotero edit wins); otherwise
    only empty fields are filled, so a richer record is never degraded by a poorer one.
    """
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise TypeError(f"unknown paper fields: {sorted(unknown)}")
    title = (title or "").strip()
    if not title:
        raise BadInput("a paper needs a title")
    fields["arxiv_id"] = normalize_arxiv(fields.get("arxiv_id"))
    fields["doi"] = normalize_doi(fields.get("doi"))
    with store.tx():
        existing = find_match(store, title=title, arxiv_id=fields["arxiv_id"], doi=fields["doi"])
        if existing is None:
            return get(store, create(store, title=title, source=source, **fields)), True
        updates: dict[str, Any] = {}
        current = existing.to_dict()
        candidates = dict(fields, title=title)
        for name in _FIELDS:
            value = candidates.get(name)
            if value in (None, "", []):
                continue
            if name in ("arxiv_id", "doi") and current.get(name) and current[name] != value:
                continue  # never rewrite an identifier to another one
            if name == "title" and not overwrite:
                continue
            if overwrite or current.get(name) in (None, "", []):
                if current.get(name) != value:
                    updates[name] = value
        if updates:
            if "title" in updates:
                updates["title_norm"] = titles.normalize(updates["title"])
            if "authors" in updates:
                updates["authors"] = json.dumps(updates["authors"], ensure_ascii=False)
            updates["updated_at"] = now_iso()
            try:
                store.execute(
                    f"UPDATE papers SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?",
                    (*updates.values(), existing.id),
                )
            except sqlite3.IntegrityError:
                # An identifier already belongs to another record: keep the rest of the update.
                for key in ("arxiv_id", "doi", "zotero_key"):
                    updates.pop(key, None)
                if updates:
                    store.execute(
                        f"UPDATE papers SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?",
                        (*updates.values(), existing.id),
                    )
            if "title_norm" in updates:
                _remember_title(store, existing.id, updates["title_norm"])
        return get(store, existing.id), False


def create(store: Store, *, title: str, source: str, **fields: Any) -> int:
    """Insert a new paper with a unique citekey, without looking for a match (callers that
    already decided it is a new work). An identifier another paper holds is dropped."""
    authors = list(fields.get("authors") or [])
    year = citekey_year(fields.get("year"), normalize_arxiv(fields.get("arxiv_id")))
    key = _unique_citekey(store, make_citekey(title, authors, year))
    cols = {"citekey": key, "title": title, "title_norm": titles.normalize(title), "source": source}
    for name in _FIELDS[1:]:
        value = fields.get(name)
        if value not in (None, "", []):
            cols[name] = json.dumps(value, ensure_ascii=False) if name == "authors" else value
    with store.tx():
        try:
            cur = store.execute(f"INSERT INTO papers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", tuple(cols.values()))
        except sqlite3.IntegrityError:
            for ident in ("arxiv_id", "doi", "zotero_key"):
                cols.pop(ident, None)
            cur = store.execute(f"INSERT INTO papers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", tuple(cols.values()))
    _remember_title(store, cur.lastrowid, cols["title_norm"])
    return cur.lastrowid


def replace_fields(store: Store, paper_id: int, *, title: str, **fields: Any) -> None:
    """Overwrite a paper's metadata (an upstream edit wins, even of the title); an identifier
    that already belongs to another paper is left as it was."""
    updates: dict[str, Any] = {"title": title, "title_norm": titles.normalize(title), "updated_at": now_iso()}
    for name, value in fields.items():
        if name not in _FIELDS:
            raise TypeError(f"unknown paper field {name!r}")
        if value not in (None, "", []):
            updates[name] = json.dumps(value, ensure_ascii=False) if name == "authors" else value
    with store.tx():
        try:
            store.execute(f"UPDATE papers SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?", (*updates.values(), paper_id))
        except sqlite3.IntegrityError:
            for ident in ("arxiv_id", "doi", "zotero_key"):
                updates.pop(ident, None)
            store.execute(f"UPDATE papers SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?", (*updates.values(), paper_id))
    _remember_title(store, paper_id, updates["title_norm"])


def resolve(store: Store, ref: str) -> Paper:
    """A user's PAPER argument: internal id, citekey, arXiv id, DOI or a unique title fragment."""
    ref = (ref or "").strip()
    if not ref:
        raise BadInput("no paper given")
    paper_id = row_id(ref)  # a number no row can have is looked up as a name, and not found
    if paper_id is not None:
        row = store.one("SELECT * FROM papers WHERE id = ?", (paper_id,))
        if row:
            return Paper.from_row(row)
    row = store.one("SELECT * FROM papers WHERE citekey = ? COLLATE NOCASE", (ref,))
    if row:
        return Paper.from_row(row)
    arxiv = normalize_arxiv(ref) if re.fullmatch(r"(?i)(arxiv:)?\s*[\w./-]+", ref) else None
    if arxiv:
        row = store.one("SELECT * FROM papers WHERE arxiv_id = ?", (arxiv,))
        if row:
            return Paper.from_row(row)
    doi = normalize_doi(ref)
    if doi:
        row = store.one("SELECT * FROM papers WHERE doi = ?", (doi,))
        if row:
            return Paper.from_row(row)
    norm = titles.normalize(ref)
    rows = store.all("SELECT * FROM papers WHERE title_norm = ?", (norm,))
    if not rows and norm:
        rows = store.all("SELECT * FROM papers WHERE instr(title_norm, ?) > 0 OR instr(lower(title), ?) > 0", (norm, ref.lower()))
    if len(rows) == 1:
        return Paper.from_row(rows[0])
    if len(rows) > 1:
        listed = "; ".join(f"{r['citekey']} ({r['title'][:40]})" for r in rows[:5])
        raise Ambiguous(f"{ref!r} matches {len(rows)} papers: {listed}", "use a citekey or id")
    raise NotFound(f"no paper matches {ref!r}", "see `kb papers` for ids and citekeys")


def set_status(store: Store, paper_id: int, status: str, at: str | None = None) -> Paper:
    if status not in STATUSES:
        raise BadInput(f"unknown status {status!r}", f"use one of: {', '.join(STATUSES)}")
    at = at or now_iso()
    with store.tx():
        current = get(store, paper_id)
        if current.status != status:
            store.execute("UPDATE papers SET status = ?, status_at = ?, updated_at = ? WHERE id = ?", (status, at, at, paper_id))
            store.execute("INSERT INTO status_history (paper_id, status, at) VALUES (?, ?, ?)", (paper_id, status, at))
    return get(store, paper_id)


def attachments(store: Store, paper_id: int) -> list[sqlite3.Row]:
    return store.all("SELECT * FROM attachments WHERE paper_id = ? ORDER BY id", (paper_id,))


def add_attachment(store: Store, paper_id: int, path: str, *, zotero_key: str | None = None, content_type: str = "application/pdf") -> int:
    with store.tx():
        store.execute(
            "INSERT INTO attachments (paper_id, path, content_type, zotero_key) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (paper_id, path) DO UPDATE SET zotero_key = COALESCE(excluded.zotero_key, zotero_key)",
            (paper_id, str(path), content_type, zotero_key),
        )
        return store.scalar("SELECT id FROM attachments WHERE paper_id = ? AND path = ?", (paper_id, str(path)))


def pdf_path(store: Store, paper_id: int) -> str | None:
    """The first local PDF of a paper that exists on disk."""
    import os

    for row in attachments(store, paper_id):
        if row["content_type"] == "application/pdf" and os.path.exists(row["path"]):
            return row["path"]
    return None
