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


def test_papers_an_older_version_merged_by_a_cut_doi_are_split_on_the_next_sync(store, fake, web_source, home):
    """Stores made before the DOI fix kept two works folded into one paper (both DOIs cut at
    "(" to the same prefix): unchanged in Zotero, the items were never looked at again. The
    next sync gives the second its own paper back, with its PDF and annotation; the first keeps
    the paper, the user's status, and its own DOI; both PDFs are read again by `kb index`."""
    from conftest import PDF
    from fake_zotero import annotation_data, attachment_data

    from kb import papers

    a = fake.put_item(paper_data("Transcriptional fidelity and proofreading by RNA polymerase II",
                                 doi="10.1016/S0092-8674(00)80012-3"))
    b = fake.put_item(paper_data("Mechanism of bacterial transcription initiation", doi="10.1016/S0092-8674(00)80013-5"))
    pdf = fake.put_item(attachment_data(b, "b.pdf", key="ATTBBBB1"))
    fake.put_file(pdf, PDF)
    fake.put_item(annotation_data(pdf, "sigma factor binds the promoter"))
    sync(store, web_source, match=False)
    first = store.scalar("SELECT paper_id FROM zotero_items WHERE key = ?", (a,))
    second = store.scalar("SELECT paper_id FROM zotero_items WHERE key = ?", (b,))

    # What an older version left: b's item, PDF and annotation on a's paper, whose DOI was cut.
    with store.tx():
        store.execute("UPDATE zotero_items SET paper_id = ? WHERE paper_id = ?", (first, second))
        store.execute("UPDATE attachments SET paper_id = ? WHERE paper_id = ?", (first, second))
        store.execute("UPDATE annotations SET paper_id = ? WHERE paper_id = ?", (first, second))
        store.execute("DELETE FROM papers WHERE id = ?", (second,))
        store.execute("UPDATE papers SET doi = '10.1016/s0092-8674', status = 'read' WHERE id = ?", (first,))
    assert store.scalar("SELECT count(*) FROM papers") == 1

    report = sync(store, web_source, match=False)  # nothing changed in Zotero
    assert report.split == ["Mechanism of bacterial transcription initiation"]
    assert any("merged" in w and "kb index" in w for w in report.warnings)
    rows = {r["title"]: r for r in store.all("SELECT * FROM papers")}
    assert len(rows) == 2
    kept, split = rows["Transcriptional fidelity and proofreading by RNA polymerase II"], rows["Mechanism of bacterial transcription initiation"]
    assert kept["id"] == first and kept["doi"] == "10.1016/s0092-8674(00)80012-3" and kept["status"] == "read"
    assert split["doi"] == "10.1016/s0092-8674(00)80013-5" and split["zotero_key"] == b
    assert store.scalar("SELECT paper_id FROM zotero_items WHERE key = ?", (b,)) == split["id"]
    assert [r["paper_id"] for r in store.all("SELECT paper_id FROM attachments")] == [split["id"]]
    assert [r["paper_id"] for r in store.all("SELECT paper_id FROM annotations")] == [split["id"]]
    assert papers.get(store, split["id"]).title == "Mechanism of bacterial transcription initiation"
    # Once split, the next sync has nothing to split.
    assert sync(store, web_source, match=False).split == []
