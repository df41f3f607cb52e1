"""Small PDFs made on the fly: real files for the pipeline, in milliseconds."""

from __future__ import annotations

from pathlib import Path

from kb import papers

TOPICS = {
    "quantum": "Quantum annealing schedules for combinatorial optimisation converge faster when the transverse field decays slowly.",
    "glacier": "Glacier melt rates in the Alps were measured with ground-penetrating radar across twelve summers.",
    "violin": "Violin varnish recipes of the eighteenth century contained resin, oil and finely ground minerals.",
    "beekeeping": "Beekeeping colonies overwinter better when the hive entrance faces south and the frames hold enough honey.",
}


def text_pdf(path: Path, title: str, paragraphs: list[str], pages: int = 1) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page()
        body = (title + "\n\n" if number == 0 else "") + "\n\n".join(paragraphs)
        page.insert_textbox(pymupdf.Rect(50, 50, 545, 800), body, fontsize=10)
    doc.save(str(path))
    doc.close()
    return path


def topic_pdf(path: Path, topic: str, pages: int = 1) -> Path:
    sentence = TOPICS[topic]
    paragraph = " ".join([sentence] * 4)
    return text_pdf(path, f"A study of {topic}", [f"Introduction. {paragraph}", paragraph], pages)


def encrypted_pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret " * 50)
    doc.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")
    doc.close()
    return path


def image_only_pdf(path: Path) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), 0)
    pix.clear_with(180)
    page.insert_image(pymupdf.Rect(50, 50, 300, 300), pixmap=pix)
    doc.save(str(path))
    doc.close()
    return path


def corrupt_pdf(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def add_paper(store, title: str, pdf: Path, **fields) -> int:
    paper, _ = papers.upsert(store, title=title, **fields)
    papers.add_attachment(store, paper.id, str(pdf))
    return paper.id
