"""Zotero exports: BibTeX (Zotero's or Better BibTeX's, `file` fields with several `;`-separated
paths) and CSL-JSON. There are no Zotero keys in an export: the citation key stands in.

LaTeX in titles, names and venues (`J\\"urgen`, `{\\v C}aslav`, `\\&`, `\\textit{…}`) is decoded
with pylatexenc, the maintained LaTeX-to-Unicode converter; bibtexparser stays on 1.x (pinned:
2.x is a rewrite with another API, and its LaTeX decoding is pylatexenc too). The file's bytes
are hashed into the library version: an unchanged export is not parsed again. bibtexparser 1.x
takes about 10 ms an entry, so each entry is parsed once: what it gave is cached by the entry's
text, and an export that Better BibTeX rewrites after one edit costs one entry's parse.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict, deque
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb import atomic
from kb.zotero.errors import ZoteroError
from kb.zotero.model import Attachment, Batch, item_from_data

# Bumped when what is read from an export changes, so an unchanged file is read again once.
READER_REVISION = 2
_NOT_AN_ENTRY = re.compile(r"\s*@(?:comment|preamble|string)\b", re.I)
_MIME = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_BIBTEX_TYPES = {"article": "journalArticle", "inproceedings": "conferencePaper", "conference": "conferencePaper",
                 "book": "book", "incollection": "bookSection", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
                 "techreport": "report", "report": "report", "misc": "preprint", "online": "webpage", "unpublished": "manuscript"}
_CSL_TYPES = {"article-journal": "journalArticle", "paper-conference": "conferencePaper", "book": "book",
              "chapter": "bookSection", "thesis": "thesis", "report": "report", "webpage": "webpage", "article": "preprint",
              "motion_picture": "film", "entry-encyclopedia": "encyclopediaArticle"}
# CSL-JSON name variables and the Zotero creator type each stands for.
_CSL_ROLES = {"author": "author", "editor": "editor", "director": "director", "translator": "translator",
              "container-author": "bookAuthor", "collection-editor": "seriesEditor", "composer": "composer",
              "interviewer": "interviewer", "recipient": "recipient", "reviewed-author": "reviewedAuthor", "illustrator": "illustrator"}


@lru_cache(maxsize=1)
def _latex() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


# The LaTeX in a BibTeX value: math, a braced command ({\v S}), a command with its braced
# arguments (\textit{in vivo}), an accent or escaped character (\"u, \&).
_LATEX_BIT = re.compile(r"\$[^$]*\$|\{\\[^{}]*\}|\\[a-zA-Z]+\*?(?:\{[^{}]*\})*|\\[^a-zA-Z\s](?:\{[^{}]*\}|\w)?")


def decode_latex(text: str | None) -> str:
    """A BibTeX value as plain Unicode text: LaTeX accents and commands decoded, braces gone.
    Only the LaTeX in it goes through pylatexenc (a whole abstract would take it 30 ms)."""
    text = text or ""
    if "\\" in text or "$" in text:
        text = _LATEX_BIT.sub(lambda m: _decode_bit(m.group(0)), text)
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


@lru_cache(maxsize=4096)
def _decode_bit(bit: str) -> str:
    return _latex().latex_to_text(bit)


def _split_names(field: str) -> list[str]:
    """`A and B and {C and D}`: split on `and` outside braces."""
    names, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", field):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            names.append(field[start:match.start()])
            start = match.end()
    names.append(field[start:])
    return [n.strip() for n in names if n.strip()]


def bib_person(name: str, role: str = "author") -> dict[str, str]:
    """One BibTeX name as a Zotero creator: `{Institution}` is a single-field name; `von Last,
    Jr, First` and `First von Last` keep the particle with the family name."""
    name = name.strip()
    if name.startswith("{") and name.endswith("}") and _balanced(name[1:-1]):
        return {"creatorType": role, "name": decode_latex(name[1:-1])}
    from bibtexparser.customization import splitname

    try:
        parts = splitname(name, strict_mode=False)
    except Exception:  # bibtexparser raises InvalidName and friends for odd names
        parts = {"last": [name]}
    first = " ".join(parts.get("first") or [])
    last = " ".join([*(parts.get("von") or []), *(parts.get("last") or [])])
    jr = " ".join(parts.get("jr") or [])
    if jr:
        last = f"{last}, {jr}"
    return {"creatorType": role, "firstName": decode_latex(first), "lastName": decode_latex(last)}


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def file_paths(field: str) -> list[str]:
    """The paths in a BibTeX `file` field: `;`-separated, each `Description:path:mime` (Zotero)
    or a bare path (Better BibTeX); `\\;`, `\\:` and `\\\\` are escaped characters of a path."""
    out = []
    for entry in _split_unescaped(field or "", ";"):
        parts = _split_unescaped(entry, ":")
        if len(parts) >= 3 and _MIME.match(parts[-1].strip()):
            path = ":".join(parts[1:-1])
        else:
            path = ":".join(parts)
        path = _unescape(path).strip()
        if path:
            out.append(path)
    return out


def _split_unescaped(text: str, sep: str) -> list[str]:
    out, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in ";:\\":
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    out.append("".join(current))
    return out


def _unescape(text: str) -> str:
    return re.sub(r"\\([;:\\])", r"\1", text)


def _strip_html(text: str) -> str:
    """CSL-JSON titles carry rich text as HTML (`<i>d.</i>`)."""
    return re.sub(r"\s+", " ", re.sub(r"</?(?:i|b|sup|sub|span|sc)(?:\s[^>]*)?>", "", text or "")).strip()


class BibtexSource:
    kind = "bibtex"

    def __init__(self, path: str | Path, cache_path: str | Path | None = None):
        self.path = Path(path).expanduser()
        self.library = f"bibtex:{self.path.name}"
        self.cache_path = Path(cache_path) if cache_path else None

    def close(self) -> None:
        pass

    def read_file(self, attachment: Attachment) -> bytes:
        return Path(attachment.local_path or "").read_bytes()

    def fetch(self, since: int = 0) -> Batch:
        try:
            raw = self.path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ZoteroError(f"cannot read {self.path}: {exc}", "export the library again (UTF-8)") from None
        version = int(hashlib.sha256(raw + f"\0{READER_REVISION}".encode()).hexdigest()[:13], 16)
        if since == version:
            return Batch(library=self.library, version=version, complete=False)  # unchanged: nothing to parse or apply
        batch = Batch(library=self.library, version=version, complete=True)
        records = self._csl(text, batch) if self.path.suffix.lower() == ".json" else self._bibtex(text, batch)
        for data, files in records:
            try:
                item = item_from_data(data)
            except (KeyError, ValueError, TypeError) as exc:
                batch.warnings.append(f"entry {data.get('key', '?')}: skipped ({exc})")
                continue
            if not item.title:
                batch.warnings.append(f"entry {item.key}: skipped, no title")
                continue
            batch.items.append(item)
            for n, file in enumerate(files):
                local = Path(file).expanduser()
                if not local.is_absolute():
                    local = self.path.parent / local
                batch.attachments.append(Attachment(
                    key=f"{item.key}#{n + 1}", version=0, parent_key=item.key, filename=local.name,
                    content_type="application/pdf" if local.suffix.lower() == ".pdf" else None, link_mode="linked_file",
                    local_path=str(local), data={"path": str(local)},
                ))
        return batch

    def _bibtex(self, text: str, batch: Batch) -> list[tuple[dict[str, Any], list[str]]]:
        # bibtexparser drops entries it cannot read without a word: count what the file announces.
        announced = len(re.findall(r"(?m)^\s*@(?!comment\b|string\b|preamble\b)[A-Za-z]+\s*[{(]", text, flags=re.I))
        chunks = [c for c in re.split(r"(?m)^(?=\s*@)", text) if c.strip()]
        cacheable = self.cache_path is not None and not re.search(r"(?im)^\s*@string\b", text)
        cache = self._load_cache() if cacheable else {}
        digests = [hashlib.sha1(c.encode()).hexdigest() for c in chunks] if cacheable else []
        missing = [c for c, d in zip(chunks, digests) if d not in cache and not _NOT_AN_ENTRY.match(c)] if cacheable else chunks
        parsed = self._parse("".join(missing)) if missing else []
        if announced and not parsed and not cache.keys() & set(digests):
            raise ZoteroError(f"{self.path} is not valid BibTeX (none of its {announced} entries could be read)", "export it again from Zotero")
        if not cacheable:
            records = [self._bib_entry(entry) for entry in parsed]
        else:
            by_key: dict[str, deque] = defaultdict(deque)
            for entry in parsed:
                by_key[entry.get("ID", "")].append(entry)
            records, kept = [], {}
            for chunk, digest in zip(chunks, digests):
                if digest not in cache:
                    head = re.match(r"\s*@\w+\s*[{(]\s*([^,\s]+)", chunk)
                    queue = by_key.get(head.group(1) if head else "")
                    if not queue:
                        continue  # unreadable (counted below) or not an entry (@comment, @preamble)
                    cache[digest] = list(self._bib_entry(queue.popleft()))
                kept[digest] = cache[digest]
                records.append((kept[digest][0], kept[digest][1]))
            self._save_cache(kept)
        if announced > len(records):
            batch.warnings.append(f"{announced - len(records)} of {announced} BibTeX entries could not be read and were skipped")
        return records

    def _parse(self, text: str) -> list[dict[str, str]]:
        import bibtexparser
        from bibtexparser.bparser import BibTexParser

        parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
        try:
            return bibtexparser.loads(text, parser=parser).entries
        except Exception as exc:  # bibtexparser raises bare pyparsing errors
            raise ZoteroError(f"{self.path} is not valid BibTeX ({type(exc).__name__})", "export it again from Zotero") from None

    def _load_cache(self) -> dict[str, Any]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        except (OSError, ValueError):
            return {}
        return data.get("entries", {}) if isinstance(data, dict) and data.get("revision") == READER_REVISION else {}

    def _save_cache(self, entries: dict[str, Any]) -> None:
        """Only this export's entries are kept: the cache never outgrows the file."""
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            atomic.write_text(self.cache_path, json.dumps({"revision": READER_REVISION, "entries": entries}, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written costs time next sync, nothing else

    def _bib_entry(self, entry: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        key = entry.get("ID", "")
        extra = []
        if entry.get("eprint") and "arxiv" in (entry.get("archiveprefix", "") + entry.get("eprinttype", "")).lower():
            extra.append(f"arXiv: {entry['eprint']}")
        if entry.get("note"):
            extra.append(decode_latex(entry["note"]))
        creators = [bib_person(a) for a in _split_names(entry.get("author", ""))]
        creators += [bib_person(e, "editor") for e in _split_names(entry.get("editor", ""))]
        venue = entry.get("journal") or entry.get("journaltitle") or entry.get("booktitle") or ""
        data = {
            "key": key, "version": 0, "itemType": _BIBTEX_TYPES.get(entry.get("ENTRYTYPE", ""), "journalArticle"),
            "title": decode_latex(entry.get("title", "")), "creators": creators,
            "date": entry.get("date") or entry.get("year", ""), "DOI": entry.get("doi", ""), "url": entry.get("url", ""),
            "abstractNote": decode_latex(entry.get("abstract", "")),
            "publicationTitle": decode_latex(venue), "publisher": decode_latex(entry.get("publisher", "")),
            "extra": "\n".join(extra),
            "tags": [{"tag": t, "type": 0} for t in (decode_latex(t) for t in re.split(r"[,;]", entry.get("keywords", ""))) if t],
        }
        return data, file_paths(entry.get("file", ""))

    def _csl(self, text: str, batch: Batch) -> list[tuple[dict[str, Any], list[str]]]:
        try:
            records = json.loads(text)
        except ValueError as exc:
            raise ZoteroError(f"{self.path} is not valid CSL-JSON ({exc.__class__.__name__})", "export it again from Zotero") from None
        if not isinstance(records, list):
            raise ZoteroError(f"{self.path} is not a CSL-JSON list of items", "export it again from Zotero as CSL JSON")
        out = []
        for rec in records:
            if not isinstance(rec, dict) or not rec.get("id"):
                batch.warnings.append("a CSL-JSON record without an id was skipped")
                continue
            parts = ((rec.get("issued") or {}).get("date-parts") or [[None]])[0] or [None]
            creators = []
            for variable, role in _CSL_ROLES.items():
                for person in rec.get(variable) or []:
                    if not isinstance(person, dict):
                        continue
                    if person.get("literal"):
                        creators.append({"creatorType": role, "name": str(person["literal"])})
                    else:
                        family = " ".join(p for p in (person.get("non-dropping-particle"), person.get("family")) if p)
                        creators.append({"creatorType": role, "firstName": str(person.get("given") or ""), "lastName": family})
            data = {
                "key": str(rec["id"]), "version": 0, "itemType": _CSL_TYPES.get(rec.get("type", ""), "journalArticle"),
                "title": _strip_html(str(rec.get("title") or "")), "creators": creators, "date": str(parts[0] or ""),
                "DOI": rec.get("DOI", ""), "url": rec.get("URL", ""), "abstractNote": rec.get("abstract", ""),
                "publicationTitle": _strip_html(str(rec.get("container-title") or "")), "publisher": rec.get("publisher", ""),
                "extra": rec.get("note", ""), "number": rec.get("number", ""),
                "tags": [{"tag": t.strip(), "type": 0} for t in str(rec.get("keyword") or "").split(",") if t.strip()],
            }
            out.append((data, []))
        return out
