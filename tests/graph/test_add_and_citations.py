"""`kb add FOLDER` on the real PDFs, and the citation edges their reference lists give."""

from __future__ import annotations

import json

from kb import fulltext
from kb.papers import resolve

# (citing, cited) pairs among the ten, each checked in the citing paper's reference list.
CITATIONS = {
    ("2305.14314", "2106.09685"), ("2305.14314", "2208.07339"), ("2305.14314", "1902.00751"),
    ("2106.09685", "1902.00751"), ("2106.09685", "1706.03762"), ("2106.09685", "1810.04805"),
    ("1910.01108", "1810.04805"), ("1910.01108", "1503.02531"), ("1910.01108", "1706.03762"),
    ("1810.04805", "1706.03762"), ("1902.00751", "1706.03762"), ("1902.00751", "1810.04805"),
    ("2001.08361", "1706.03762"), ("2001.08361", "1810.04805"), ("2205.14135", "1706.03762"),
    ("2205.14135", "1810.04805"), ("2208.07339", "1706.03762"), ("2208.07339", "1810.04805"),
}


def _cites(store) -> set[tuple[str, str]]:
    rows = store.all(
        "SELECT d.arxiv_id AS citing, s.arxiv_id AS cited FROM paper_edges e JOIN papers s ON s.id = e.src_paper_id "
        "JOIN papers d ON d.id = e.dst_paper_id WHERE e.kind = 'cites'"
    )
    return {(r["citing"], r["cited"]) for r in rows}


def test_add_reports_ten_new_papers(library):
    _, report = library
    assert report["added"] == 10 and report["failed"] == 0
    assert {f["arxiv_id"] for f in report["files"]} >= {"2106.09685", "2305.14314", "1503.02531"}


def test_papers_come_from_the_pdfs(lib_store, papers_dir):
    lora = resolve(lib_store, "2106.09685")
    assert lora.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    # The year is the PDF's (arXiv v1, 2021); authors and casing come from the catalog, which
    # also fills what a PDF's first page does not give (BERT's authors sit in a grid).
    assert lora.source == "pdf" and lora.year == 2021 and lora.authors[0] == "Edward J. Hu"
    assert resolve(lib_store, "2305.14314").title.startswith("QLoRA: ")
    assert resolve(lib_store, "1810.04805").authors[:2] == ["Jacob Devlin", "Ming-Wei Chang"]
    rows = lib_store.all("SELECT path FROM attachments WHERE paper_id = ?", (lora.id,))
    assert [r["path"] for r in rows] == [str((papers_dir / "2106.09685.pdf").resolve())]  # not copied


def test_citation_edges_among_the_ten(lib_store):
    assert _cites(lib_store) == CITATIONS


def test_outline_and_references_stored(lib_store):
    lora = resolve(lib_store, "2106.09685")
    titles = [s["title"] for s in fulltext.sections(lib_store, lora.id)]
    assert "1 Introduction" in titles and "References" in titles
    refs = fulltext.references(lib_store, lora.id)
    houlsby = [r for r in refs if r["arxiv_id"] == "1902.00751"]
    assert houlsby and houlsby[0]["cited_paper_id"] == resolve(lib_store, "1902.00751").id
    caps = fulltext.captions(lib_store, lora.id)
    assert caps[0]["label"] == "Figure 1" and caps[0]["page"] == 1 and len(caps[0]["bbox"]) == 4
    status = fulltext.document_status(lib_store, lora.id)
    assert status["status"] == "ok" and status["page_count"] == 26


def test_adding_again_updates_without_duplicates(lib_cli, lib_store, papers_dir):
    code, out, _ = lib_cli("add", str(papers_dir / "2106.09685.pdf"), "--json")
    report = json.loads(out)
    assert code == 0 and report["added"] == 0 and report["updated"] == 1
    assert lib_store.scalar("SELECT count(*) FROM papers") == 10
    assert _cites(lib_store) == CITATIONS


def test_bad_pdfs_get_a_message_and_the_rest_continue(cli, tmp_path, papers_dir):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.5\n" + b"\x00garbage" * 500)
    (tmp_path / "empty.pdf").write_bytes(b"")
    code, out, err = cli("add", str(tmp_path / "broken.pdf"), str(tmp_path / "empty.pdf"), str(papers_dir / "1910.01108.pdf"))
    assert code == 0
    assert "added #1 DistilBERT" in out
    assert "broken.pdf" in err and "[corrupt]" in err and "[empty]" in err


def test_papers_added_later_are_linked(store, papers_dir):
    from kb.pdf.ingest import add_paths

    add_paths(store, [papers_dir / "1910.01108.pdf"])
    assert _cites(store) == set()
    add_paths(store, [papers_dir / "1810.04805.pdf"])  # DistilBERT cites BERT: found afterwards
    assert ("1910.01108", "1810.04805") in _cites(store)


def test_failed_extraction_leaves_nothing_partial(store, papers_dir):
    from kb.papers import upsert
    from kb.pdf.extract import extract

    paper, _ = upsert(store, title="Attention Is All You Need", arxiv_id="1706.03762")
    fulltext.save_document(store, paper.id, None, extract(papers_dir / "1706.03762.pdf"))
    assert fulltext.sections(store, paper.id)
    fulltext.mark_failed(store, paper.id, None, "abc", "timeout", "took too long")
    assert fulltext.sections(store, paper.id) == [] and fulltext.references(store, paper.id) == []
    assert fulltext.document_status(store, paper.id)["reason"] == "timeout"


def test_a_paper_added_later_is_linked_from_the_references_that_cite_it(cli, store, papers_dir):
    """Papers come in over weeks, newest first as often as not: LoRA before the works it cites.
    Each `kb add` links only what the new paper makes linkable, and ends where matching every
    reference of the library again ends."""
    order = ["2106.09685", "1902.00751", "1810.04805", "1706.03762"]  # each cited by the ones before it
    for arxiv in order:
        code, _, err = cli("add", str(papers_dir / f"{arxiv}.pdf"))
        assert code == 0, err
    want = {(a, b) for a, b in CITATIONS if a in order and b in order}
    assert len(want) == 6 and _cites(store) == want
    links = store.all("SELECT id, cited_paper_id FROM refs ORDER BY id")
    fulltext.recompute_citation_edges(store)
    assert _cites(store) == want and store.all("SELECT id, cited_paper_id FROM refs ORDER BY id") == links
