"""Zotero exports: BibTeX (Zotero's or Better BibTeX's, `file` fields with several `;`-separated
paths) and CSL-JSON. There are no Zotero keys in an export: the citation key stands in."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kb.zotero.errors import ZoteroError
from kb.zotero.model import Attachment, Batch, content_hash, item_from_data

# Zotero's exporter writes `Description:path:mime`; Better BibTeX writes bare paths.
_FILE_WITH_MIME = re.compile(r"^(?:[^:]*):(.+):([\w.+-]+/[\w.+-]+)$")
_BIBTEX_TYPES = {"article": "journalArticle", "inproceedings": "conferencePaper", "conference": "conferencePaper",
                 "book": "book", "incollection": "bookSection", "phdthesis": "thesis", "mastersthesis": "thesis",
                 "techreport": "report", "misc": "preprint", "online": "webpage", "unpublished": "manuscript"}
_CSL_TYPES = {"article-journal": "journalArticle", "paper-conference": "conferencePaper", "book": "book",
              "chapter": "bookSection", "thesis": "thesis", "report": "report", "webpage": "webpage", "article": "preprint"}


def _strip_braces(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[{}]", "", text or "")).strip()


def _bib_person(name: str) -> dict[str, str]:
    name = _strip_braces(name)
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
        return {"creatorType": "author", "firstName": first, "lastName": last}
    parts = name.split()
    return {"creatorType": "author", "firstName": " ".join(parts[:-1]), "lastName": parts[-1] if parts else name}


def file_paths(field: str) -> list[str]:
    """The paths in a BibTeX `file` field."""
    out = []
    for part in (field or "").split(";"):
        part = part.strip().replace("\\:", ":")
        if not part:
            continue
        match = _FILE_WITH_MIME.match(part)
        out.append(match.group(1) if match else part)
    return out


class BibtexSource:
    kind = "bibtex"

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self.library = f"bibtex:{self.path.name}"

    def close(self) -> None:
        pass

    def read_file(self, attachment: Attachment) -> bytes:
        return Path(attachment.local_path or "").read_bytes()

    def fetch(self, since: int = 0) -> Batch:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ZoteroError(f"cannot read {self.path}: {exc}", "export the library again (UTF-8)") from None
        batch = Batch(library=self.library, version=0, complete=True)
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
        batch.version = int(content_hash([r[0] for r in records])[:7], 16)
        return batch

    def _bibtex(self, text: str, batch: Batch) -> list[tuple[dict[str, Any], list[str]]]:
        import bibtexparser
        from bibtexparser.bparser import BibTexParser

        parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
        try:
            database = bibtexparser.loads(text, parser=parser)
        except Exception as exc:  # bibtexparser raises bare pyparsing errors
            raise ZoteroError(f"{self.path} is not valid BibTeX ({type(exc).__name__})", "export it again from Zotero") from None
        # bibtexparser drops entries it cannot read without a word: count what the file announces.
        announced = len(re.findall(r"(?m)^\s*@(?!comment\b|string\b|preamble\b)[A-Za-z]+\s*[{(]", text, flags=re.I))
        if announced and not database.entries:
            raise ZoteroError(f"{self.path} is not valid BibTeX (none of its {announced} entries could be read)", "export it again from Zotero")
        if announced > len(database.entries):
            batch.warnings.append(f"{announced - len(database.entries)} of {announced} BibTeX entries could not be read and were skipped")
        out = []
        for entry in database.entries:
            key = entry.get("ID", "")
            extra = []
            if entry.get("eprint") and "arxiv" in (entry.get("archiveprefix", "") + entry.get("eprinttype", "")).lower():
                extra.append(f"arXiv: {entry['eprint']}")
            if entry.get("note"):
                extra.append(entry["note"])
            data = {
                "key": key, "version": 0, "itemType": _BIBTEX_TYPES.get(entry.get("ENTRYTYPE", ""), "journalArticle"),
                "title": _strip_braces(entry.get("title", "")),
                "creators": [_bib_person(a) for a in re.split(r"\s+and\s+", entry.get("author", "")) if a.strip()],
                "date": entry.get("date") or entry.get("year", ""), "DOI": entry.get("doi", ""), "url": entry.get("url", ""),
                "abstractNote": _strip_braces(entry.get("abstract", "")),
                "publicationTitle": _strip_braces(entry.get("journal") or entry.get("journaltitle") or entry.get("booktitle", "")),
                "extra": "\n".join(extra),
                "tags": [{"tag": t.strip(), "type": 0} for t in re.split(r"[,;]", entry.get("keywords", "")) if t.strip()],
            }
            out.append((data, file_paths(entry.get("file", ""))))
        return out

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
            parts = ((rec.get("issued") or {}).get("date-parts") or [[None]])[0]
            creators = [{"creatorType": "author", "name": a["literal"]} if a.get("literal")
                        else {"creatorType": "author", "firstName": a.get("given", ""), "lastName": a.get("family", "")}
                        for a in rec.get("author") or [] if isinstance(a, dict)]
            data = {
                "key": str(rec["id"]), "version": 0, "itemType": _CSL_TYPES.get(rec.get("type", ""), "journalArticle"),
                "title": str(rec.get("title") or "").strip(), "creators": creators, "date": str(parts[0] or "") if parts else "",
                "DOI": rec.get("DOI", ""), "url": rec.get("URL", ""), "abstractNote": rec.get("abstract", ""),
                "publicationTitle": rec.get("container-title", ""), "extra": rec.get("note", ""), "number": rec.get("number", ""),
                "tags": [{"tag": t.strip(), "type": 0} for t in str(rec.get("keyword") or "").split(",") if t.strip()],
            }
            out.append((data, []))
        return out
