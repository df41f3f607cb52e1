"""A PDF whose fonts have no Unicode mapping is `no_text` with a reason, not garbage text."""

from __future__ import annotations

import pymupdf
import pytest

from kb.pdf import quality
from kb.pdf.errors import PdfError
from kb.pdf.extract import extract_here
from kb.pdf.layout import read_page

SENTENCE = "Low-Rank Adaptation of Large Language Models freezes the pretrained weights."


def cid_pdf(path, *, keep_tounicode: bool):
    """Text in a CID font (Identity-H); without its ToUnicode map it extracts as glyph numbers."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
    page.insert_text((50, 40), SENTENCE, fontsize=14, fontname="F0")
    for i in range(30):
        page.insert_text((50, 70 + i * 14), SENTENCE, fontsize=10, fontname="F0")
    if not keep_tounicode:
        for xref in range(1, doc.xref_length()):
            if "ToUnicode" in doc.xref_get_keys(xref):
                doc.xref_set_key(xref, "ToUnicode", "null")
    doc.save(str(path))
    return path


def test_the_same_pdf_with_its_unicode_map_reads_and_without_it_is_no_text(tmp_path):
    readable = extract_here(cid_pdf(tmp_path / "mapped.pdf", keep_tounicode=True))
    assert SENTENCE in readable.pages[0].text
    with pytest.raises(PdfError) as err:
        extract_here(cid_pdf(tmp_path / "unmapped.pdf", keep_tounicode=False))
    assert err.value.reason == "no_text"
    assert "unmapped" in err.value.message and "%" in err.value.message and "OCR" in err.value.hint


def test_the_unmapped_text_is_not_caught_by_the_character_count_alone(tmp_path):
    """The naive check (private-use/replacement/control share of the text) misses this file: its
    glyph numbers land on ordinary letters ("-PX3BOL" for "Low-Rank"); the font check sees it."""
    path = cid_pdf(tmp_path / "unmapped.pdf", keep_tounicode=False)
    with pymupdf.open(path) as pdf:
        text = "".join(line.text for line in read_page(pdf[0], 1).lines)
        bad, total = quality.unreadable_chars(text)
        assert bad / total < quality.MAX_UNREADABLE  # the naive measure alone would store garbage
        assert quality.unreadable_share(pdf, [text]) > 0.9


def test_real_papers_are_far_below_the_threshold(papers_dir):
    for pdf_path in sorted(papers_dir.glob("*.pdf"))[:4]:
        with pymupdf.open(pdf_path) as pdf:
            texts = ["".join(line.text for line in read_page(pdf[i], i + 1).lines) for i in range(min(pdf.page_count, 4))]
            assert quality.unreadable_share(pdf, texts) < 0.01, pdf_path.name


def test_private_use_and_replacement_characters_count_as_unreadable():
    assert quality.unreadable_chars("ab\ue000\ufffd \x01") == (3, 5)
