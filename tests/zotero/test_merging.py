"""Two Zotero items are one paper only when an identifier and the title agree (Zotero's true
duplicates); a DOI alone never folds two papers into one."""

from __future__ import annotations

from fake_zotero import paper_data

from kb.zotero.sync import sync


def test_one_doi_on_two_different_papers_keeps_two_papers(store, fake, web_source):
    # A user pasted a journal's DOI into two of its papers (as a DOI cut at `(` used to look).
    a = fake.put_item(paper_data("Transcriptional fidelity and proofreading by RNA polymerase II", doi="10.1016/S0092-8674(00"))
    b = fake.put_item(paper_data("Mechanism of bacterial transcription initiation", doi="10.1016/S0092-8674(00"))
    report = sync(store, web_source, match=False)
    assert report.added == 2 and store.scalar("SELECT count(*) FROM papers") == 2
    rows = store.all("SELECT key, paper_id FROM zotero_items WHERE key IN (?, ?)", (a, b))
    assert rows[0]["paper_id"] != rows[1]["paper_id"]


def test_true_duplicates_link_to_one_paper_with_the_most_complete_metadata(store, fake, web_source):
    first = fake.put_item(paper_data("The path tracing revolution in the movie industry", doi="10.1145/2776880.2792699", year=2015))
    second = fake.put_item(paper_data("The Path Tracing Revolution in the Movie Industry", doi="https://doi.org/10.1145/2776880.2792699",
                                      year=2015, abstractNote="Path tracing is now used in production.", publicationTitle="SIGGRAPH Courses"))
    report = sync(store, web_source, match=False)
    assert report.added == 2 and store.scalar("SELECT count(*) FROM papers") == 1
    assert {r["key"] for r in store.all("SELECT key FROM zotero_items WHERE paper_id IS NOT NULL")} == {first, second}
    paper = store.one("SELECT * FROM papers")
    assert paper["zotero_key"] == first and paper["title"] == "The path tracing revolution in the movie industry"
    assert paper["abstract"] == "Path tracing is now used in production." and paper["venue"] == "SIGGRAPH Courses"
