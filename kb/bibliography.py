"""The library (or one plan's papers) as a bibliography: BibTeX and CSL-JSON, keyed by the papers'
stored citekeys (`kb export bibtex|csljson`).

BibTeX is written with bibtexparser's writer; text is LaTeX-escaped by pylatexenc (`&`, `%`, `$`,
`#`, `_`, braces, accents; CJK kept as it is, for XeLaTeX/biber), and words with capitals inside
(LoRA, BERT, GPT-3) are braced so bibliography styles do not lower-case them. The written text
is parsed back before it is returned: an entry that would not read back is a bug, not a file.
"""

from __future__ import annotations

import json
import re

from kb.errors import KbError
from kb.papers import Paper
from kb.store import Store

FORMATS = ("bibtex", "csljson")
_PROCEEDINGS = re.compile(r"(?i)conference|proceedings|workshop|symposium|\b(neurips|nips|iclr|icml|acl|emnlp|naacl|coling|"
                          r"eacl|cvpr|iccv|eccv|aaai|ijcai|kdd|sigir|interspeech|icassp)\b")


def papers_for(store: Store, plan: str | None = None) -> list[Paper]:
    """All papers by citekey, or one plan's papers in plan order (each once)."""
    if plan is None:
        return [Paper.from_row(r) for r in store.all("SELECT * FROM papers ORDER BY citekey")]
    from kb.plans.query import resolve_plan

    plan_id = resolve_plan(store, plan)["id"]
    rows = store.all("SELECT p.* FROM plan_items i JOIN papers p ON p.id = i.paper_id WHERE i.plan_id = ? "
                     "GROUP BY p.id ORDER BY min(i.position)", (plan_id,))
    return [Paper.from_row(r) for r in rows]


def _encoder():
    from pylatexenc.latexencode import UnicodeToLatexConversionRule, UnicodeToLatexEncoder, RULE_DICT

    # BibTeX balances every brace, escaped or not: a literal brace must not be one.
    braces = UnicodeToLatexConversionRule(RULE_DICT, {ord("{"): r"{\textbraceleft}", ord("}"): r"{\textbraceright}"})
    # Everything LaTeX would misread, escaped; a character without a LaTeX name (CJK) kept as is.
    return UnicodeToLatexEncoder(conversion_rules=[braces, "defaults"], non_ascii_only=False,
                                 unknown_char_policy="keep", unknown_char_warning=False)


def _latex(text: str, enc, protect: bool = False) -> str:
    parts = []
    for token in re.split(r"(\s+)", " ".join(text.split())):
        escaped = enc.unicode_to_latex(token)
        parts.append("{" + escaped + "}" if protect and re.search(r".\w*[A-Z]", token) else escaped)
    return "".join(parts)


def _bib_author(name: str, enc) -> str:
    """"Edward J. Hu" → "Hu, Edward J."; a one-part name (张三, an organisation) stays whole, braced."""
    parts = name.split()
    if len(parts) < 2:
        return "{" + _latex(name, enc) + "}"
    return f"{_latex(parts[-1], enc)}, {_latex(' '.join(parts[:-1]), enc)}"


def _entry(paper: Paper, enc) -> dict:
    fields = {"ID": paper.citekey, "title": _latex(paper.title, enc, protect=True)}
    if paper.authors:
        fields["author"] = " and ".join(_bib_author(a, enc) for a in paper.authors)
    if paper.year:
        fields["year"] = str(paper.year)
    venue = paper.venue or ""
    if venue and _PROCEEDINGS.search(venue):
        fields["ENTRYTYPE"], fields["booktitle"] = "inproceedings", _latex(venue, enc)
    elif venue and "arxiv" not in venue.lower():
        fields["ENTRYTYPE"], fields["journal"] = "article", _latex(venue, enc)
    else:
        fields["ENTRYTYPE"] = "misc"
    if paper.arxiv_id:
        fields.update(eprint=paper.arxiv_id, archiveprefix="arXiv")
        if fields["ENTRYTYPE"] == "misc":
            fields["howpublished"] = _latex(f"arXiv:{paper.arxiv_id}", enc)
    if paper.doi:
        fields["doi"] = paper.doi  # a DOI is written as is (biblatex reads it verbatim)
    if paper.url:
        fields["url"] = paper.url
    return fields


def to_bibtex(papers: list[Paper]) -> str:
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    enc = _encoder()
    db = BibDatabase()
    db.entries = [_entry(p, enc) for p in papers]
    writer = BibTexWriter()
    writer.order_entries_by = None  # keep the order given (plan order, or by citekey)
    writer.indent = "  "
    text = writer.write(db)
    _check_bibtex(text, [p.citekey for p in papers])
    return text


def _check_bibtex(text: str, keys: list[str]) -> None:
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True)
    parser.ignore_nonstandard_types = False
    read = [e["ID"] for e in bibtexparser.loads(text, parser=parser).entries]
    if read != keys:
        raise KbError(f"the BibTeX written does not read back ({len(read)} of {len(keys)} entries)", "please report this as a bug")


def to_csljson(papers: list[Paper]) -> str:
    items = []
    for p in papers:
        item: dict = {"id": p.citekey, "type": "article-journal" if p.venue and "arxiv" not in p.venue.lower() else "article",
                      "title": p.title}
        if p.venue and _PROCEEDINGS.search(p.venue):
            item["type"] = "paper-conference"
        if p.authors:
            item["author"] = [{"family": a.split()[-1], "given": " ".join(a.split()[:-1])} if len(a.split()) > 1 else {"literal": a}
                              for a in p.authors]
        if p.year:
            item["issued"] = {"date-parts": [[p.year]]}
        if p.venue:
            item["container-title"] = p.venue
        if p.doi:
            item["DOI"] = p.doi
        if p.url or p.arxiv_id:
            item["URL"] = p.url or f"https://arxiv.org/abs/{p.arxiv_id}"
        if p.arxiv_id:
            item["number"] = f"arXiv:{p.arxiv_id}"
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def export(papers: list[Paper], fmt: str) -> str:
    return to_bibtex(papers) if fmt == "bibtex" else to_csljson(papers)
