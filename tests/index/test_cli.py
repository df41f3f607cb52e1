"""`kb index` and `kb search` as a user runs them."""

from __future__ import annotations

import json

from tests.index.pdfs import add_paper, encrypted_pdf, topic_pdf


def test_index_then_search_json(cli, store, tmp_path, warm_embedder):
    glacier = add_paper(store, "A study of glacier", topic_pdf(tmp_path / "g.pdf", "glacier"), year=2020)
    add_paper(store, "A study of beekeeping", topic_pdf(tmp_path / "b.pdf", "beekeeping"), year=2021)
    add_paper(store, "Locked paper", encrypted_pdf(tmp_path / "locked.pdf"))

    code, out, err = cli("index", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["indexed"], report["skipped_unchanged"], report["failed_count"]) == (2, 0, 1)
    assert report["failed"][0]["reason"] == "encrypted" and report["failed"][0]["citekey"] == "anonlocked"
    assert report["failed"][0]["message"]

    code, out, err = cli("index")
    assert code == 0
    assert "unchanged 2" in out and "failed 1" in out and "anonlocked: encrypted" in out

    code, out, err = cli("search", "ice", "radar", "--json", "--mode", "hybrid")
    assert code == 0, err
    hits = json.loads(out)
    assert hits[0]["paper_id"] == glacier
    assert {"paper_id", "citekey", "title", "page", "section", "score", "snippet"} <= set(hits[0])
    assert hits[0]["page"] == 1 and "«radar»" in hits[0]["snippet"]

    code, out, err = cli("search", "养蜂 蜂巢", "--year", "2021", "--mode", "lexical")
    assert code == 0
    assert "Nothing found" in err  # the glossary does not know beekeeping words: honest empty result

    code, out, err = cli("search", "hive entrance faces south", "--year", "2021")
    assert code == 0 and "A study of beekeeping" in out and "p. 1" in out


def test_search_refuses_an_empty_query(cli, store):
    code, _, err = cli("search", "  ")
    assert code == 2
    assert "the search query is empty" in err and "hint:" in err


def test_search_before_indexing_says_what_to_do(cli, store, tmp_path):
    add_paper(store, "A study of glacier", topic_pdf(tmp_path / "g.pdf", "glacier"))
    code, _, err = cli("search", "glacier", "--mode", "lexical")
    assert code == 0
    assert "not indexed yet" in err and "kb index" in err


def test_index_unknown_paper(cli, store):
    code, _, err = cli("index", "--paper", "no-such-paper")
    assert code == 3 and "no paper matches" in err


def test_a_step_beside_the_pdfs_is_named_on_their_bar(capsys):
    """The first run exports the model while the PDFs are read: that step is named on the PDFs'
    bar, not printed as a line below it, as if it had come after them. A step after the PDFs
    (optimising the keyword index) still gets its own line, below."""
    from kb.cli.index import ProgressBar

    bar = ProgressBar()
    bar.phase("checking 3 PDFs for changes")
    bar(0, 3, "hinton2015")
    bar.phase("loading the model (first run only)")
    bar(1, 3, "vaswani2017")
    bar(3, 3, "")
    bar.phase("optimising the keyword index")
    bar.close()
    lines = [line.strip() for line in capsys.readouterr().err.splitlines() if line.strip()]
    steps = [line for line in lines if "loading the model" in line or "indexing PDFs" in line or "optimising" in line]
    assert not any(line.lstrip("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ").startswith("loading the model") for line in steps), steps
    assert [s for s in steps if "indexing PDFs" in s] and "optimising" in steps[-1], steps
