"""Every real BibTeX and CSL-JSON export in ../shared/fixtures/zotero_real synced, and compared with
what the file holds, read here line by line (Zotero and Better BibTeX write one field per line);
DOIs as Crossref defines them, so that papers of one journal are never folded into one."""

from __future__ import annotations

import json
import re
import time

import pytest

from kb.papers import normalize_doi
from kb.zotero.bibtex import BibtexSource, decode_latex, file_paths
from kb.zotero.sync import sync

BIB = ["bbt-130-single-field-author.biblatex", "bbt-152-latex-accents.bibtex", "bbt-2163-arxiv-preprint.biblatex",
       "bbt-2391-zh-cn.biblatex", "bbt-313-name-particles.biblatex", "papis-zotero_jorgsk.bib"]
CSL = ["bbt-2963-extra-variables.csl.json", "bbt-365-825-creators-uppercase-doi.csl.json", "bbt-pandoc-citation-export.csl.json"]


def _entries(text: str) -> dict[str, dict[str, str]]:
    """key → {field: raw value} for each entry, by lines."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", line)
        if head:
            current = None if head.group(1).lower() in ("comment", "string", "preamble") else out.setdefault(head.group(2), {})
            continue
        field = re.match(r"^\s*([\w-]+)\s*=\s*\{?(.*?)\}?,?\s*$", line)
        if current is not None and field:
            current[field.group(1).lower()] = field.group(2)
    return out


def _depth0_and(value: str) -> int:
    depth, count = 0, 1
    for match in re.finditer(r"[{}]|\s+and\s+", value):
        token = match.group(0)
        depth += {"{": 1, "}": -1}.get(token, 0)
        count += token not in "{}" and depth == 0
    return count if value.strip() else 0


@pytest.mark.parametrize("name", BIB)
def test_real_bibtex_matches_the_file(store, shared, name):
    path = shared / "fixtures/zotero_real/bibtex" / name
    want = {k: v for k, v in _entries(path.read_text(encoding="utf-8")).items() if v.get("title")}
    t0 = time.perf_counter()
    report = sync(store, BibtexSource(path), match=False)
    took = time.perf_counter() - t0
    lib = f"bibtex:{name}"
    rows = {r["key"]: r for r in store.all("SELECT * FROM zotero_items WHERE library = ? AND item_type != 'attachment'", (lib,))}
    assert set(rows) == set(want), name
    papers = {r["id"]: r for r in store.all("SELECT * FROM papers")}
    for key, fields in want.items():
        row, paper = rows[key], papers[rows[key]["paper_id"]]
        assert not re.search(r"[\\{}]", row["title"]), (key, row["title"])
        raw_doi = fields.get("doi", "")
        doi = re.search(r"10\.\d{4,9}/\S+?(?=</|$)", raw_doi)  # one export wraps a DOI in <p>…</p>; SICI DOIs hold < and >
        assert row["doi"] == (doi.group(0).lower() if doi else None), key
        if paper["zotero_key"] != key:
            continue
        authors = json.loads(paper["authors"])
        assert len(authors) == (_depth0_and(fields.get("author", "")) or _depth0_and(fields.get("editor", ""))), key
        assert not any(re.search(r"[\\{}]", a) for a in authors), (key, authors)
        year = re.match(r"\d{4}", fields.get("date") or fields.get("year") or "")
        assert paper["year"] == (int(year.group(0)) if year else None), key
        if fields.get("eprint") and "arxiv" in (fields.get("archiveprefix", "") + fields.get("eprinttype", "")).lower():
            assert paper["arxiv_id"] == re.sub(r"v\d+$", "", fields["eprint"]), key
        tags = {r["tag"] for r in store.all("SELECT tag FROM zotero_tags WHERE library = ? AND item_key = ?", (lib, key))}
        assert len(tags) == len({t.strip() for t in re.split(r"[,;]", fields.get("keywords", "")) if t.strip()}), key
        files = store.scalar("SELECT count(*) FROM zotero_items WHERE library = ? AND parent_key = ?", (lib, key))
        assert files == len([p for p in re.split(r"(?<!\\);", fields.get("file", "")) if p.strip()]), key
    # Only true duplicates (one DOI and one title: the same paper exported twice) share a paper;
    # two entries with one title and different years (a book and its reissue) stay two papers.
    same = {}
    for key, fields in want.items():
        same.setdefault((rows[key]["doi"] or key, re.sub(r"\W+", "", decode_latex(fields["title"]).lower())), []).append(key)
    assert len({r["paper_id"] for r in rows.values()}) == len(same)
    assert all(len({rows[k]["paper_id"] for k in keys}) == 1 for keys in same.values())
    # An unchanged export is not parsed again.
    t0 = time.perf_counter()
    again = sync(store, BibtexSource(path), match=False)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 0)
    assert time.perf_counter() - t0 < max(0.5, took / 5)
    assert report.added == len(want)
    if name == "papis-zotero_jorgsk.bib":
        # Nine Cell papers have DOIs like 10.1016/S0092-8674(00)81191-5; cut at `(` they shared
        # five DOIs and became fewer papers with mixed titles.
        cell = store.all("SELECT doi, title FROM papers WHERE doi LIKE '10.1016/s0092-8674(%'")
        assert len(cell) == 9 and len({r["title"] for r in cell}) == 9
        assert "10.1016/s0092-8674(00)81191-5" in {r["doi"] for r in cell}


def test_latex_names_and_titles_are_decoded(store, shared):
    bib = shared / "fixtures/zotero_real/bibtex"
    sync(store, BibtexSource(bib / "bbt-152-latex-accents.bibtex"), match=False)
    sync(store, BibtexSource(bib / "bbt-2391-zh-cn.biblatex"), match=False)
    sync(store, BibtexSource(bib / "bbt-130-single-field-author.biblatex"), match=False)
    procopio = store.one("SELECT * FROM papers WHERE title = 'Experimental Superposition of Orders of Quantum Gates'")
    assert "Časlav Brukner" in json.loads(procopio["authors"]) and "Mateus Araújo" in json.loads(procopio["authors"])
    assert procopio["arxiv_id"] == "1412.4006"
    chinese = store.one("SELECT * FROM papers WHERE zotero_key = 'GaigeLicheng'")
    assert json.loads(chinese["authors"]) == ["趙紫陽"] and chinese["citekey"] == "zhao2009gaige"
    kolawa = store.one("SELECT * FROM papers WHERE zotero_key = 'Kolawa2007'")
    assert json.loads(kolawa["authors"]) == ["Adam Kolawa", "Dorota Huizinga", "Wiley InterScience (Online service)"]
    assert decode_latex(r"J\"urgen {\v S}koda \& \textit{in vivo} {{RNA}}") == "Jürgen Škoda & in vivo RNA"


@pytest.mark.parametrize(("text", "doi"), [
    ("10.1016/S0092-8674(00)81191-5", "10.1016/s0092-8674(00)81191-5"),
    ("https://doi.org/10.1016/S0092-8674(00)81191-5.", "10.1016/s0092-8674(00)81191-5"),
    ("(doi:10.1000/abc123)", "10.1000/abc123"),
    ("see 10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O, and", "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o"),
    ("doi: 10/abcd", "10/abcd"),
    ("https://doi.org/10.1000%2Fxyz", "10.1000/xyz"),
    ("10.1093/ref:odnb/10183", "10.1093/ref:odnb/10183"),
    ("16/j.cell.2009.01.019", None),  # a DOI with its prefix cut off (a real export) is no DOI
    ("http://dx.doi.org/10.1484/J.SE.2.303788", "10.1484/j.se.2.303788"),
])
def test_doi_parsing(text, doi):
    assert normalize_doi(text) == doi


def test_file_fields():
    assert file_paths(r"Full Text PDF:/home/u/storage/AB/a.pdf:application/pdf;Snapshot:/home/u/storage/CD/b.html:text/html") == [
        "/home/u/storage/AB/a.pdf", "/home/u/storage/CD/b.html"]
    assert file_paths(r"/papers/Smith\; Jones - 2020.pdf;C\:\\Users\\me\\b.pdf") == ["/papers/Smith; Jones - 2020.pdf", "C:\\Users\\me\\b.pdf"]


@pytest.mark.parametrize("name", CSL)
def test_real_csl_json_matches_the_file(store, shared, name):
    path = shared / "fixtures/zotero_real/csljson" / name
    records = [r for r in json.loads(path.read_text(encoding="utf-8")) if r.get("title")]
    report = sync(store, BibtexSource(path), match=False)
    assert report.added == len(records)
    for rec in records:
        row = store.one("SELECT * FROM zotero_items WHERE key = ?", (rec["id"],))
        paper = store.one("SELECT * FROM papers WHERE id = ?", (row["paper_id"],))
        assert row["title"] == re.sub(r"</?\w+(\s[^>]*)?>", "", rec["title"])
        assert row["doi"] == normalize_doi(rec.get("DOI"))
        people = rec.get("author") or next((rec[v] for v in ("editor", "director", "translator") if rec.get(v)), [])
        assert json.loads(paper["authors"]) == [p.get("literal") or f"{p.get('given', '')} {p.get('family', '')}".strip() for p in people]
        year = ((rec.get("issued") or {}).get("date-parts") or [[None]])[0][0]
        assert paper["year"] == (int(year) if year else None)


def test_an_edited_export_parses_only_the_changed_entries(store, shared, tmp_path, monkeypatch):
    """Better BibTeX rewrites the export after every edit in Zotero: only new or changed entries
    go through bibtexparser (10 ms an entry); the others come from the cache."""
    bib = tmp_path / "library.bib"
    bib.write_text((shared / "fixtures/zotero_real/bibtex/bbt-313-name-particles.biblatex").read_text(encoding="utf-8"), encoding="utf-8")
    cache = tmp_path / "cache.json"
    first = sync(store, BibtexSource(bib, cache_path=cache), match=False)
    parsed: list[str] = []
    real_parse = BibtexSource._parse
    monkeypatch.setattr(BibtexSource, "_parse", lambda self, text: parsed.append(text) or real_parse(self, text))
    with bib.open("a", encoding="utf-8") as fh:
        fh.write("\n@article{muller2024,\n  title = {A {New} Paper on {RNA}},\n  author = {M{\\\"u}ller, Jan},\n  date = {2024}\n}\n")
    second = sync(store, BibtexSource(bib, cache_path=cache), match=False)
    assert (second.added, second.updated, second.deleted) == (1, 0, 0)
    assert len(parsed) == 1 and parsed[0].count("@") == 1 and "muller2024" in parsed[0]
    assert json.loads(store.scalar("SELECT authors FROM papers WHERE zotero_key = 'muller2024'")) == ["Jan Müller"]
    # The cached entries read exactly as a fresh parse reads them.
    fresh = BibtexSource(bib).fetch()
    cached = BibtexSource(bib, cache_path=cache).fetch()
    assert [(i.key, i.title, i.authors, i.doi, i.year) for i in cached.items] == [(i.key, i.title, i.authors, i.doi, i.year) for i in fresh.items]
    assert first.added + 1 == len(fresh.items)
