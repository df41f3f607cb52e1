"""Every kind of unreadable PDF gives a PdfError with a stable reason, quickly."""

from __future__ import annotations

import time

import pymupdf
import pytest

from kb.errors import KbError
from kb.pdf.errors import PdfError
from kb.pdf.extract import extract

LOREM = "Knowledge distillation transfers the function learned by a large model into a small one. " * 3


def _text_pdf(path, pages=1, header=None):
    pdf = pymupdf.open()
    for n in range(pages):
        page = pdf.new_page()
        if header:
            page.insert_text((72, 30), header, fontsize=9)
            page.insert_text((300, 780), str(n + 1), fontsize=9)
        for i in range(6):
            page.insert_text((72, 120 + 14 * i), LOREM[:90], fontsize=10)
    pdf.save(str(path))
    return path


def _reason(path, **kwargs) -> str:
    with pytest.raises(PdfError) as info:
        extract(path, **kwargs)
    assert isinstance(info.value, KbError) and info.value.message and info.value.hint
    return info.value.reason


def test_encrypted(tmp_path):
    pdf = pymupdf.open(str(_text_pdf(tmp_path / "plain.pdf")))
    pdf.save(str(tmp_path / "locked.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    assert _reason(tmp_path / "locked.pdf") == "encrypted"


def test_corrupt_bytes(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert _reason(path) == "corrupt"


def test_truncated_real_pdf(tmp_path, papers_dir):
    data = (papers_dir / "1910.01108.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[:2000])
    assert _reason(path) in ("corrupt", "empty", "no_text")


def test_zero_pages(tmp_path):
    path = tmp_path / "zero.pdf"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    assert _reason(path) == "empty"


def test_zero_bytes(tmp_path):
    path = tmp_path / "nothing.pdf"
    path.write_bytes(b"")
    assert _reason(path) == "empty"


def test_not_a_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("# just markdown\n")
    assert _reason(path) == "not_pdf"
    assert _reason(tmp_path / "missing.pdf") == "not_pdf"


def test_image_only(tmp_path):
    pdf = pymupdf.open()
    page = pdf.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 200), False)
    pix.set_rect(pix.irect, (200, 30, 30))
    page.insert_image(pymupdf.Rect(72, 72, 472, 472), pixmap=pix)
    pdf.save(str(tmp_path / "scan.pdf"))
    assert _reason(tmp_path / "scan.pdf") == "no_text"


def test_too_large_by_size(tmp_path, papers_dir):
    assert _reason(papers_dir / "1706.03762.pdf", max_bytes=1_000_000) == "too_large"


def test_too_many_pages(tmp_path):
    path = _text_pdf(tmp_path / "long.pdf", pages=30)
    assert _reason(path, max_pages=20) == "too_large"


def test_timeout_kills_the_work(papers_dir):
    start = time.monotonic()
    assert _reason(papers_dir / "2205.14135.pdf", timeout_s=0.01) == "timeout"
    assert time.monotonic() - start < 5


def test_500_pages_within_limit(tmp_path):
    path = _text_pdf(tmp_path / "book.pdf", pages=500, header="A Running Header For The Book")
    start = time.monotonic()
    doc = extract(path, timeout_s=60)
    assert doc.page_count == 500
    assert time.monotonic() - start < 30
    # The running header and the page numbers are furniture, not text.
    assert all("Running Header" not in p.text for p in doc.pages)
    assert all(not p.text.rstrip().endswith(str(p.number)) for p in doc.pages[:20])
    assert "Knowledge distillation transfers" in doc.pages[250].text


def test_reasons_survive_the_child_process(tmp_path):
    err = PdfError("no_text", "x.pdf: no text")
    import pickle

    back = pickle.loads(pickle.dumps(err))
    assert (back.reason, back.message, back.hint) == (err.reason, err.message, err.hint)


def test_extraction_children_work_under_the_kb_script(home, papers_dir):
    """Extraction children come from a forkserver, which imports the parent's main module by
    path: the installed `kb` script must stay import-safe, or every PDF reads as corrupt."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "kb"
    proc = subprocess.run([str(script), "add", str(papers_dir / "1503.02531.pdf"), "--json"], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, KB_HOME=str(home)))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["added"] == 1 and report["failed"] == 0


def test_extraction_starts_when_stderr_has_no_descriptor(papers_dir):
    """Inside the TUI, Textual captures stderr (fileno -1); the first extraction starts
    multiprocessing's helper processes, which need a real descriptor."""
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "class Captured(io.StringIO):\n"
        "    def fileno(self):\n"
        "        return -1\n"
        "sys.stderr = Captured()\n"
        "from kb.pdf.extract import extract\n"
        f"print(extract({str(papers_dir / '1503.02531.pdf')!r}).metadata.title)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Distilling the Knowledge in a Neural Network"
