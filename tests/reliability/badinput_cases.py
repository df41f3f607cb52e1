"""The bad-input catalogue: one Case per row of docs/bad-input.md.

Each case prepares its input in a fresh data home and returns the `kb` arguments to run; the
test runs the real command and checks the exit code, that the user sees one clear line (and
at most a hint), no traceback, and (where it matters) that the store did not change.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
ZOTERO_TESTS = REPO / "tests" / "zotero"


@dataclass
class Env:
    home: Path
    tmp: Path
    shared: Path
    cli: Callable[..., tuple[int, str, str]]
    extras: dict[str, Any] = field(default_factory=dict)

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def ok(self, *args: str) -> str:
        code, out, err = self.cli(*args)
        assert code == 0, f"setup step kb {' '.join(args)} failed ({code}): {err}"
        return out

    def fake_zotero(self):
        if str(ZOTERO_TESTS) not in sys.path:
            sys.path.insert(0, str(ZOTERO_TESTS))
        from fake_zotero import FakeZotero, paper_data  # the Zotero area's server, reused

        server = FakeZotero(api_key="sekrit-KEY-123").start()
        self.extras.setdefault("cleanup", []).append(server.stop)
        server.put_item(paper_data("LoRA: Low-Rank Adaptation of Large Language Models", arxiv="2106.09685"))
        return server

    def web_setup(self, server, api_key: str | None = None, library_id: str | None = None) -> None:
        self.ok("zotero", "setup", "--api-key", api_key or server.api_key, "--library-id", library_id or server.library_id,
                "--endpoint", server.url)
        self.ok("config", "zotero.retry_backoff_s", "0.01")
        self.ok("config", "zotero.retries", "2")
        self.ok("config", "zotero.timeout_s", "1.0")

    def paper(self, title: str = "LoRA: Low-Rank Adaptation of Large Language Models", **fields) -> Any:
        from kb import papers
        from kb.store import Store

        with Store.open(self.home) as store:
            fields.setdefault("year", 2021)
            paper, _ = papers.upsert(store, title=title, **fields)
        return paper

    def note(self, paper, body: str, raw: bytes | None = None) -> Path:
        """Write paper's note file by hand (as the user's editor would)."""
        out = self.ok("note", str(paper.id), "--path").strip().splitlines()[-1]
        path = Path(out)
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(body, encoding="utf-8")
        return path


@dataclass
class Case:
    id: str
    area: str
    input: str  # what the user gave (one line for the docs table)
    prepare: Callable[[Env], list[str]]
    code: int
    message: str  # a fragment of the one-line message (case-insensitive)
    unchanged: bool = True  # the store and the data dir are exactly as before
    sees: str = ""  # for the docs: what the user sees (defaults to the message fragment)


HUGE = "1" + "0" * 30  # 10^30: past SQLite's integers, whose binding raises OverflowError

PLAN_PROSE = "# My reading\n\n## Ideas\n\n### Later\n\n---\n"


def _plan_too_large(env: Env) -> list[str]:
    path = env.tmp / "huge.md"
    with open(path, "wb") as fh:
        fh.write(b"# Plan\n- arXiv:1706.03762\n")
        fh.seek(10 * 1024 * 1024)
        fh.write(b"\n")
    return ["plan", "import", str(path)]


def _plan_fifo(env: Env) -> list[str]:
    import os

    path = env.tmp / "plan.md"
    os.mkfifo(path)
    return ["plan", "import", str(path)]


def _plan_name_taken(env: Env) -> list[str]:
    first = env.file("a/plan.md", "- arXiv:1706.03762 Attention Is All You Need\n")
    env.ok("plan", "import", str(first))
    return ["plan", "import", str(env.file("b/plan.md", "- arXiv:2106.09685 LoRA\n"))]


def _plan_unmatched_no_zotero(env: Env) -> list[str]:
    env.ok("plan", "import", str(env.file("p.md", "- arXiv:1706.03762 Attention Is All You Need\n")))
    return ["plan", "unmatched"]


def _plan_unmatched_no_such_plan(env: Env) -> list[str]:
    server = env.fake_zotero()
    env.web_setup(server)
    env.ok("sync")
    env.ok("plan", "import", str(env.file("p.md", "- arXiv:1706.03762 Attention Is All You Need\n")))
    return ["plan", "unmatched", "--plan", "no-such-plan"]
PDF_MIN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _encrypted_pdf(env: Env) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 120), "Knowledge distillation transfers what a large model learned.", fontsize=11)
    path = env.tmp / "locked.pdf"
    doc.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    return path


def _image_only_pdf(env: Env) -> Path:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(pymupdf.Rect(50, 50, 300, 300), color=(0, 0, 0), fill=(0.5, 0.5, 0.5))
    path = env.tmp / "scan.pdf"
    doc.save(str(path))
    return path


def _garbage_db(env: Env) -> list[str]:
    env.home.mkdir(parents=True, exist_ok=True)
    (env.home / "kb.sqlite").write_bytes(b"this is not a database, just text" * 200)
    return ["papers"]


def _future_db(env: Env) -> list[str]:
    env.ok("papers")
    conn = sqlite3.connect(env.home / "kb.sqlite")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    return ["papers"]


def _zotero_sqlite_not_sqlite(env: Env) -> list[str]:
    path = env.file("zotero.sqlite", "Zotero profile, not a database\n" * 50)
    env.ok("zotero", "setup", "--sqlite", str(path))
    return ["sync"]


def _zotero_sqlite_empty(env: Env) -> list[str]:
    path = env.tmp / "zotero.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE unrelated (x)").connection.close()
    env.ok("zotero", "setup", "--sqlite", str(path))
    return ["sync"]


def _zotero_sqlite_missing(env: Env) -> list[str]:
    path = env.file("zotero.sqlite", b"")
    env.ok("zotero", "setup", "--sqlite", str(path))
    path.unlink()
    return ["sync"]


def _zotero_sqlite_truncated(env: Env) -> list[str]:
    real = env.shared / "fixtures" / "zotero_sqlite_papis"
    found = sorted(real.rglob("*.sqlite"))
    data = found[0].read_bytes() if found else b"SQLite format 3\x00" + b"\x10\x00" * 50
    path = env.file("zotero.sqlite", data[: max(100, len(data) // 7)])
    env.ok("zotero", "setup", "--sqlite", str(path))
    return ["sync"]


def _web(status: int | None = None, body: bytes = b"error", *, api_key: str | None = None, library_id: str | None = None,
         times: int = 10, path: str = "/items", headers: dict | None = None):
    def prepare(env: Env) -> list[str]:
        server = env.fake_zotero()
        env.web_setup(server, api_key=api_key, library_id=library_id)
        if status is not None:
            from fake_zotero import Fault

            server.faults.append(Fault(path, status=status, body=body, times=times, headers=headers or {}))
        return ["sync"]

    return prepare


def _zotero_unknown_group(env: Env) -> list[str]:
    path = env.shared / "fixtures" / "zotero_real" / "sqlite" / "z6.0.4_ganeshbelgur" / "zotero.sqlite"
    return ["zotero", "setup", "--sqlite", str(path), "--group", "Lab"]


def _bibtex_broken(env: Env) -> list[str]:
    path = env.file("library.bib", "@article{broken,\n  title = {Unclosed {brace,\n  year = 20\n")
    env.ok("zotero", "setup", "--bibtex", str(path))
    return ["sync"]


def _csl_json_broken(env: Env) -> list[str]:
    path = env.file("library.json", '[{"id": "a", "title": "x"},')
    env.ok("zotero", "setup", "--bibtex", str(path))
    return ["sync"]


def _cards_check(body: str | None = None, raw: bytes | None = None):
    def prepare(env: Env) -> list[str]:
        paper = env.paper()
        env.note(paper, body or "", raw=raw)
        return ["cards", "--check"]

    return prepare


def _review_rate(card: str, rating: str):
    def prepare(env: Env) -> list[str]:
        paper = env.paper()
        env.note(paper, f"---\npaper_id: {paper.id}\n---\n# LoRA\n\nWhat does LoRA freeze? :: the pretrained weights\n")
        env.ok("cards")
        return ["review", "rate", card, rating]

    return prepare


def _graph_unlink_again(env: Env) -> list[str]:
    # A curated edge (package data): unlinking it writes a veto; a second unlink removes nothing.
    env.paper("Attention Is All You Need", arxiv_id="1706.03762", year=2017)
    env.paper("BERT: Pre-training of Deep Bidirectional Transformers", arxiv_id="1810.04805", year=2019)
    env.ok("graph", "unlink", "1706.03762", "1810.04805")
    return ["graph", "unlink", "1706.03762", "1810.04805", "--json"]


def _ambiguous(env: Env) -> list[str]:
    env.paper("Scaling Laws for Neural Language Models", year=2020)
    env.paper("Scaling Laws for Autoregressive Generative Modeling", year=2020)
    return ["show", "Scaling Laws"]


# -- issue 15: restore, settings, arguments, secrets, unmapped fonts ------------------------------------
def _library_archive(env: Env, tweak: Callable[[Path], None] | None = None, name: str = "kb-backup.tar.gz") -> Path:
    """A real `kb backup` of another library (a paper, a note), unpacked, tweaked and packed again."""
    import tarfile

    other = env.tmp / "other-home"
    env.ok("--home", str(other), "papers")
    from kb import papers
    from kb.store import Store

    with Store.open(other) as store:
        papers.upsert(store, title="Distilling the Knowledge in a Neural Network", year=2015)
    (other / "notes").mkdir(exist_ok=True)
    (other / "notes" / "hinton2015distilling.md").write_text("# KD\nWhat is T? :: the temperature\n", encoding="utf-8")
    archive = env.tmp / "made.tar.gz"
    env.ok("--home", str(other), "backup", "-o", str(archive))
    if tweak is None:
        return archive
    unpacked = env.tmp / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    tweak(unpacked)
    out = env.tmp / name
    with tarfile.open(out, "w:gz") as tar:
        for item in sorted(unpacked.iterdir()):
            tar.add(item, arcname=item.name)
    return out


def _live_library(env: Env) -> None:
    paper = env.paper()
    env.note(paper, "# LoRA\nWhat does LoRA freeze? :: the pretrained weights\n")


def _restore(tweak: Callable[[Path], None] | None = None, *, cut: int | None = None, extra: tuple[str, ...] = ()):
    def prepare(env: Env) -> list[str]:
        archive = _library_archive(env, tweak)
        if cut is not None:
            archive.write_bytes(archive.read_bytes()[:cut])
        _live_library(env)
        return ["restore", "--force", *extra, str(archive)]

    return prepare


def _set_config(text: str) -> Callable[[Path], None]:
    return lambda unpacked: (unpacked / "config.toml").write_text(text, encoding="utf-8")


def _newer_db(unpacked: Path) -> None:
    conn = sqlite3.connect(unpacked / "kb.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()


def _symlinked_note(env: Env) -> list[str]:
    other = env.tmp / "other-home"
    env.ok("--home", str(other), "papers")
    (other / "notes").mkdir()
    outside = env.file("synced/lora.md", "# LoRA\nWhat is r? :: the rank\n")
    (other / "notes" / "hu2021lora.md").symlink_to(outside)
    archive = env.tmp / "linked.tar.gz"
    env.ok("--home", str(other), "backup", "-o", str(archive))
    return ["restore", str(archive)]


def _config_file(text: str | bytes, *args: str):
    def prepare(env: Env) -> list[str]:
        env.home.mkdir(parents=True, exist_ok=True)
        (env.home / "config.toml").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return list(args)

    return prepare


def _due_cards(env: Env) -> list[str]:
    paper = env.paper()
    env.note(paper, "# LoRA\n\nWhat does LoRA freeze? :: the pretrained weights\n\nWhat is r? :: the rank\n")
    env.ok("cards")
    return ["review", "due", "--limit", "-1"]


def _no_key_here(env: Env) -> list[str]:
    """A web library set up elsewhere and restored here: config.toml, but no key on this machine."""
    server = env.fake_zotero()
    env.ok("zotero", "setup", "--library-id", server.library_id, "--endpoint", server.url)
    env.ok("config", "zotero.retries", "1")
    return ["sync"]


def _unmapped_font_pdf(env: Env) -> Path:
    """Text drawn with a CID font (Identity-H) whose ToUnicode map was removed."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
    for i in range(30):
        page.insert_text((50, 60 + i * 14), "Low-Rank Adaptation of Large Language Models freezes the weights.", fontsize=10, fontname="F0")
    for xref in range(1, doc.xref_length()):
        if "ToUnicode" in doc.xref_get_keys(xref):
            doc.xref_set_key(xref, "ToUnicode", "null")
    path = env.tmp / "nomap.pdf"
    doc.save(str(path))
    return path


CASES: list[Case] = [
    # -- plans ----------------------------------------------------------------------------------
    Case("plan-missing", "plans", "`kb plan import` of a file that does not exist",
         lambda e: ["plan", "import", str(e.tmp / "nope.md")], 2, "no such file"),
    Case("plan-empty", "plans", "an empty plan file", lambda e: ["plan", "import", str(e.file("empty.md", ""))], 2, "is empty"),
    Case("plan-whitespace", "plans", "a plan file of blank lines and spaces",
         lambda e: ["plan", "import", str(e.file("blank.md", "\n   \n\t\n"))], 2, "empty"),
    Case("plan-binary", "plans", "a PNG renamed to plan.md",
         lambda e: ["plan", "import", str(e.file("plan.md", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8))], 2, "not a text plan"),
    Case("plan-prose", "plans", "a Markdown file with headings only, no list, table or reference",
         lambda e: ["plan", "import", str(e.file("ideas.md", PLAN_PROSE))], 2, "no plan in it"),
    Case("plan-numeric-name", "plans", "`kb plan import --name 42` (a bare number)",
         lambda e: ["plan", "import", str(e.file("p.md", "- arXiv:1706.03762 Attention Is All You Need\n")), "--name", "42"], 2, "bare number"),
    Case("plan-directory", "plans", "a folder given as the plan file",
         lambda e: ["plan", "import", str(e.tmp)], 2, "directory"),
    Case("plan-show-unknown", "plans", "`kb plan show` of a plan that does not exist",
         lambda e: ["plan", "show", "no-such-plan"], 3, "no plan"),
    Case("plan-too-large", "plans", "a 10 MB file given as the plan (checked before it is read)", _plan_too_large, 2, "too large"),
    Case("plan-undecodable", "plans", "a plan in no text encoding (UTF-8 cut short, then bytes no code page fits)",
         lambda e: ["plan", "import", str(e.file("broken.md", "论文阅读：“注意力”".encode("utf-8")[:-1] + b"\xff\xfe\xfd\x80\x81" * 10))],
         2, "could not be decoded"),
    Case("plan-shift-jis", "plans", "a Japanese plan saved as Shift-JIS (read as such, not as GBK mojibake)",
         lambda e: ["plan", "import", str(e.file("jp.md", "# 読書計画\n\n## 第1週\n\n- 論文：「Attention Is All You Need」\n".encode("shift_jis")))],
         0, "decoded it as Shift-JIS", unchanged=False, sees="note: jp.md is not UTF-8; decoded it as Shift-JIS (the plan is imported)"),
    Case("plan-big5", "plans", "a Traditional Chinese plan saved as Big5",
         lambda e: ["plan", "import", str(e.file("tw.md", "# 閱讀計畫\n\n## 第一週\n\n- **論文閱讀**：\n  - 《Attention Is All You Need》\n".encode("big5")))],
         0, "decoded it as Big5", unchanged=False, sees="note: tw.md is not UTF-8; decoded it as Big5 (the plan is imported)"),
    Case("plan-superscript-week", "plans", "a plan whose headings number weeks with superscripts (`## 第²周`, `## Week ²`, `## Month ³`)",
         lambda e: ["plan", "import", str(e.file("sup.md", "# 计划\n\n## 第²周\n\n- arXiv:1706.03762 Attention Is All You Need\n\n"
                                                          "## Week ²\n\n- arXiv:2106.09685 LoRA\n\n## Month ³\n\n- arXiv:1810.04805 BERT\n"))],
         0, "imported plan sup", unchanged=False,
         sees="imported plan sup (计划): 3 papers (…); the headings are kept as text, not read as weeks (a superscript is not a week number)"),
    Case("plan-fifo", "plans", "a named pipe (FIFO) given as the plan file", _plan_fifo, 2, "named pipe"),
    Case("plan-device", "plans", "`/dev/zero` given as the plan file", lambda e: ["plan", "import", "/dev/zero"], 2, "is a device"),
    Case("plan-name-taken", "plans", "a second `plan.md` from another folder, under the name the first one has", _plan_name_taken,
         2, "already exists"),
    Case("add-id-offline", "plans", "`kb add arXiv:2401.04088` offline, for a paper the catalog does not hold",
         lambda e: ["add", "arXiv:2401.04088"], 3, "not in the offline catalog"),
    Case("add-malformed-id", "plans", "`kb add arXiv:24.1` (not an arXiv id)", lambda e: ["add", "arXiv:24.1"], 2, "not a valid arXiv id"),
    Case("plan-unmatched-no-zotero", "plans", "`kb plan unmatched` with no Zotero library connected",
         _plan_unmatched_no_zotero, 3, "no Zotero library is connected"),
    Case("plan-use-unknown", "plans", "`kb plan use no-such-plan` (no such plan)",
         lambda e: (e.ok("plan", "import", str(e.file("p.md", "- arXiv:1706.03762 Attention Is All You Need\n"))),
                    ["plan", "use", "no-such-plan"])[1], 3, "no plan 'no-such-plan'"),
    Case("plan-unmatched-no-such-plan", "plans", "`kb plan unmatched --plan no-such-plan` (Zotero synced)",
         _plan_unmatched_no_such_plan, 3, "no plan 'no-such-plan'"),
    # -- PDFs (kb add) ----------------------------------------------------------------------------
    Case("pdf-not-pdf", "PDFs", "`kb add` of an HTML login page saved as paper.pdf",
         lambda e: ["add", str(e.file("paper.pdf", "<html><body>Please log in</body></html>"))], 1, "not a PDF"),
    Case("pdf-zero-bytes", "PDFs", "`kb add` of a 0-byte PDF", lambda e: ["add", str(e.file("zero.pdf", b""))], 1, "empty"),
    Case("pdf-encrypted", "PDFs", "`kb add` of a password-protected PDF", lambda e: ["add", str(_encrypted_pdf(e))], 1, "encrypted"),
    Case("pdf-truncated", "PDFs", "`kb add` of a real paper cut after 2,000 bytes",
         lambda e: ["add", str(e.file("cut.pdf", (e.shared / "papers" / "1910.01108.pdf").read_bytes()[:2000]))], 1, "pdf"),
    Case("pdf-image-only", "PDFs", "`kb add` of a scanned (image-only) PDF", lambda e: ["add", str(_image_only_pdf(e))], 1, "text"),
    Case("pdf-missing", "PDFs", "`kb add` of a path that does not exist", lambda e: ["add", str(e.tmp / "nowhere.pdf")], 2, "no such file"),
    Case("pdf-empty-folder", "PDFs", "`kb add` of a folder with no PDFs",
         lambda e: (e.tmp.joinpath("emptydir").mkdir(), ["add", str(e.tmp / "emptydir")])[1], 0, "no PDF files found"),
    # -- Zotero web API responses -------------------------------------------------------------------
    Case("zotero-bad-key", "Zotero API", "a wrong or revoked API key (403)", _web(api_key="wrong-key-0000"), 7, "refused access"),
    Case("zotero-no-library", "Zotero API", "a library id that does not exist (404)", _web(library_id="999"), 7, "404"),
    Case("zotero-5xx", "Zotero API", "the server answers 503 on every try", _web(503), 7, "HTTP 503"),
    Case("zotero-429", "Zotero API", "rate limited (429 with Retry-After) on every try",
         _web(429, headers={"Retry-After": "0"}), 7, "rate-limited"),
    Case("zotero-bad-json", "Zotero API", "the first page of items is not JSON", _web(200, b"<html>proxy login</html>",
         headers={"Content-Type": "application/json"}), 7, "not valid JSON"),
    Case("zotero-unreachable", "Zotero API", "nothing listens at the endpoint", lambda e: (
        e.ok("zotero", "setup", "--api-key", "k", "--library-id", "1", "--endpoint", "http://127.0.0.1:9"),
        e.ok("config", "zotero.retries", "1"), e.ok("config", "zotero.retry_backoff_s", "0.01"), ["sync"])[-1], 7, "cannot connect"),
    Case("zotero-not-set-up", "Zotero API", "`kb sync` before `kb zotero setup`", lambda e: ["sync"], 7, "no Zotero library is set up"),
    Case("zotero-setup-two-sources", "Zotero API", "`kb zotero setup --local --sqlite X` (two sources)",
         lambda e: ["zotero", "setup", "--local", "--sqlite", str(e.tmp / "z.sqlite")], 2, "choose one source"),
    Case("zotero-page-not-a-list", "Zotero API", "a page of items that is a JSON object, not a list",
         _web(200, b'{"message": "hello"}', path="start=0", headers={"Content-Type": "application/json"}), 7, "sync is incomplete",
         unchanged=False),
    Case("zotero-backoff-a-day", "Zotero API", "the server answers `Backoff: 86400` (wait a day)",
         _web(200, b"[]", headers={"Backoff": "86400", "Content-Type": "application/json"}), 7, "asks to wait 24.0 h"),
    Case("zsqlite-unknown-group", "zotero.sqlite", "`kb zotero setup --sqlite X --group Lab` (no such group library)",
         _zotero_unknown_group, 2, "no group library"),
    Case("bibtex-broken", "Zotero files", "a BibTeX export cut in the middle of an entry", _bibtex_broken, 7, "not valid BibTeX"),
    Case("csl-json-broken", "Zotero files", "a CSL-JSON export that is not valid JSON", _csl_json_broken, 7, "not valid CSL-JSON"),
    # -- zotero.sqlite --------------------------------------------------------------------------------
    Case("zsqlite-not-sqlite", "zotero.sqlite", "a text file given as zotero.sqlite", _zotero_sqlite_not_sqlite, 7, "not a readable Zotero database"),
    Case("zsqlite-wrong-schema", "zotero.sqlite", "an SQLite file without Zotero's tables", _zotero_sqlite_empty, 7, "not a readable Zotero database"),
    Case("zsqlite-missing", "zotero.sqlite", "zotero.sqlite moved away after setup", _zotero_sqlite_missing, 7, "no Zotero database at"),
    Case("zsqlite-truncated", "zotero.sqlite", "a zotero.sqlite cut short (a half-copied file)", _zotero_sqlite_truncated, 7, "not a readable Zotero database"),
    # -- notes and cards ----------------------------------------------------------------------------------
    Case("note-unknown-paper", "notes", "`kb note` for a paper that is not in the library", lambda e: ["note", "no such paper"], 3, "no paper"),
    Case("note-broken-front-matter", "notes", "a note whose front matter is never closed (`---` missing)",
         _cards_check("---\npaper_id: 1\ntitle: [unclosed\n# LoRA\n\nQ :: A\n"), 1, "front matter", unchanged=False),
    Case("note-not-utf8", "notes", "a note saved in Latin-1 / binary garbage",
         _cards_check(raw=b"---\npaper_id: 1\n---\n\xff\xfe\x00caf\xe9 :: \xe9t\xe9\n"), 1, "UTF-8", unchanged=False),
    Case("card-half-written", "cards", "a card with a question and no answer (`Q ::`)",
         _cards_check("---\npaper_id: 1\n---\n# LoRA\n\nWhat does LoRA freeze? ::\n"), 1, "only a question", unchanged=False),
    Case("card-broken-cloze", "cards", "an unclosed cloze (`{{c1::low-rank`)",
         _cards_check("---\npaper_id: 1\n---\n# LoRA\n\nLoRA learns {{c1::low-rank updates\n"), 1, "cloze", unchanged=False),
    Case("review-unknown-card", "cards", "`kb review rate 99999 good` (no such card)", _review_rate("99999", "good"), 3, "no card"),
    Case("review-bad-rating", "cards", "`kb review rate 1 meh` (not a rating)", _review_rate("1", "meh"), 2, "rating"),
    Case("review-superscript-rating", "cards", "`kb review rate 1 ²` (a superscript two, a digit to str.isdigit() but not to int())",
         _review_rate("1", "²"), 2, "unknown rating '²'"),
    # -- config ------------------------------------------------------------------------------------------
    Case("config-bad-toml", "config", "config.toml that is not TOML, then any command",
         lambda e: (e.file("x", ""), e.home.mkdir(parents=True, exist_ok=True), (e.home / "config.toml").write_text("[review\nnew_per_day = = 3\n"), ["review", "due"])[-1],
         2, "not valid TOML"),
    Case("config-unknown-key", "config", "`kb config nosuch.key 1`", lambda e: ["config", "nosuch.key", "1"], 2, "unknown setting"),
    Case("config-bad-number", "config", "`kb config review.new_per_day lots`", lambda e: ["config", "review.new_per_day", "lots"], 2, "whole number"),
    Case("credentials-bad-toml", "config", "credentials.toml that is not TOML (holding a key)",
         lambda e: (e.home.mkdir(parents=True, exist_ok=True), (e.home / "credentials.toml").write_text('[zotero]\napi_key = "SECRET-abc\n'),
                    e.ok("zotero", "setup", "--library-id", "1", "--endpoint", "http://127.0.0.1:9"), ["sync"])[-1], 2, "not valid TOML"),
    # -- the database ---------------------------------------------------------------------------------------
    Case("db-garbage", "database", "kb.sqlite overwritten with text", _garbage_db, 5, "unreadable"),
    Case("db-newer", "database", "kb.sqlite from a newer paper-kb (schema 999)", _future_db, 5, "newer"),
    Case("restore-not-archive", "database", "`kb restore` of a file that is not a backup",
         lambda e: ["restore", str(e.file("backup.tar.gz", b"not an archive"))], 2, "not a"),
    # -- reproductions ----------------------------------------------------------------------------------------
    Case("repro-unknown", "reproductions", "`kb repro run nope` (no such reproduction)", lambda e: ["repro", "run", "nope"], 3,
         "no reproduction named"),
    Case("repro-unknown-preset", "reproductions", "`kb repro run lora --preset huge`", lambda e: ["repro", "run", "lora", "--preset", "huge"],
         2, "unknown preset"),
    Case("repro-out-of-range", "reproductions", "`kb repro run lora --set rank=100000`",
         lambda e: ["repro", "run", "lora", "--set", "rank=100000"], 2, "out of range"),
    Case("repro-too-big-for-cpu", "reproductions", "`kb repro run flashattention --device cpu --set max_len=65536` (hundreds of GiB)",
         lambda e: ["repro", "run", "flashattention", "--device", "cpu", "--set", "max_len=65536"], 1, "GiB of memory",
         unchanged=False, sees="error: run 1 could not run: standard attention at N=65536 with 8 heads needs about 640.0 GiB of memory; "
                               "this machine has … GiB free / hint: run on a GPU (--device cuda), or lower the length: --set max_len=…"),
    # `--set` is refused before a run is recorded, with exit 2 like every other bad command-line value.
    Case("repro-unknown-param", "reproductions", "`kb repro run lora --set nosuch=1` (no such parameter)",
         lambda e: ["repro", "run", "lora", "--set", "nosuch=1"], 2, "has no parameter",
         sees="error: lora has no parameter 'nosuch' / hint: parameters: rank, lora_alpha, lora_lr, full_lr, head_lr, steps, batch_size, per_class, test_fraction, max_length, layers, threads, seeds, rank_sweep, tolerance, model"),
    Case("repro-not-a-number", "reproductions", "`kb repro run lora --set rank=four`",
         lambda e: ["repro", "run", "lora", "--set", "rank=four"], 2, "is not a valid int",
         sees="error: rank='four' is not a valid int / hint: rank: int in [1, 256], default 8 (r of eq. 3)"),
    Case("repro-set-not-key-value", "reproductions", "`kb repro run lora --set rank` (no value)",
         lambda e: ["repro", "run", "lora", "--set", "rank"], 2, "is not key=value",
         sees="error: --set 'rank' is not key=value / hint: for example --set rank=4"),
    Case("repro-set-line-break", "reproductions", "`kb repro run lora --set $'model=a\\nb'` (a line break in a text parameter)",
         lambda e: ["repro", "run", "lora", "--set", "model=a\nb"], 2, "has a line break",
         sees="error: model = 'a\\nb' has a line break or a NUL character / hint: model takes one line of text up to 4,096 characters"),
    Case("repro-lengths-inconsistent", "reproductions", "`kb repro run flashattention --set min_len=4096 --set max_len=256`",
         lambda e: ["repro", "run", "flashattention", "--set", "min_len=4096", "--set", "max_len=256"], 2, "no sequence length to measure",
         sees="error: min_len=4096 and max_len=256 leave no sequence length to measure (doubling from min_len); fitting the growth "
              "rate needs two or more / "
              "hint: make max_len at least twice min_len: --set max_len=8192"),
    Case("repro-layers-beyond-model", "reproductions", "`kb repro run lora --set layers=7` (all-MiniLM-L6-v2 has 6)",
         lambda e: ["repro", "run", "lora", "--set", "layers=7"], 2, "has 6 layers",
         sees="error: layers=7 is out of range: the model has 6 layers / hint: layers: 0 (all) to 6"),
    # -- CLI arguments -----------------------------------------------------------------------------------------
    Case("cli-unknown-paper", "CLI", "`kb show` of a paper that is not in the library", lambda e: ["show", "no such paper"], 3, "no paper"),
    Case("cli-ambiguous-paper", "CLI", "`kb show Scaling Laws` matching two papers", _ambiguous, 4, "matches"),
    Case("cli-empty-query", "CLI", '`kb search ""` (an empty query)', lambda e: ["search", "", "--mode", "lexical"], 2, "empty"),
    Case("cli-bad-status", "CLI", "`kb status 1 finished` (not a status)", lambda e: (e.paper(), ["status", "1", "finished"])[1], 2, "invalid value"),
    Case("cli-unknown-command", "CLI", "`kb frobnicate`", lambda e: ["frobnicate"], 2, "no such command"),
    Case("cli-bad-since", "CLI", "`kb brief --since banana`", lambda e: ["brief", "--since", "banana"], 2, "cannot read the period"),
    Case("brief-format-mismatch", "brief", "`kb brief --format pdf -o talk.pptx` (the name says another format)",
         lambda e: ["brief", "--format", "pdf", "-o", str(e.tmp / "talk.pptx")], 2, "names a .pptx file",
         sees="error: the output talk.pptx names a .pptx file, not pdf / hint: use -o talk.pdf, or leave out --format"),
    Case("cli-home-is-file", "CLI", "`--home` pointing at a regular file",
         lambda e: ["--home", str(e.file("afile", "x")), "papers"], 2, "is a file"),
    # -- issue 15: restore all-or-nothing --------------------------------------------------------------------
    Case("restore-symlinked-note", "restore", "`kb restore` of a backup whose library had a note that is a symbolic link",
         _symlinked_note, 0, "restored 0 papers and 1 notes", unchanged=False,
         sees="restored 0 papers and 1 notes from …/linked.tar.gz (the backup stored the note's text and said so)"),
    Case("restore-config-wrong-type", "restore", "`kb restore --force` of an archive whose config.toml has a wrong type",
         _restore(_set_config('[review]\nnew_per_day = "lots"\n')), 2, "is text, not a number",
         sees="error: config.toml in kb-backup.tar.gz: review.new_per_day = 'lots' is text, not a number / hint: nothing was restored; the library is as it was"),
    Case("restore-config-elsewhere", "restore", "an archive whose config.toml sets notes.dir outside the home and viewer.command",
         _restore(_set_config('[notes]\ndir = "/tmp/kb-elsewhere-notes"\n[viewer]\ncommand = "sh -c evil {path}"\n')), 0,
         "were not taken", unchanged=False,
         sees="warning: the archive's settings that point outside the data home or run a program were not taken (this machine's are kept; "
              "pass --trust-config to take them): notes.dir = '/tmp/kb-elsewhere-notes'; viewer.command = 'sh -c evil {path}'"),
    Case("restore-truncated", "restore", "`kb restore` of an archive cut short (a half-finished download)",
         _restore(cut=3000), 2, "truncated or damaged",
         sees="error: kb-backup.tar.gz is truncated or damaged (Compressed file ended before the end-of-stream marker was reached) / "
              "hint: nothing was restored; the library is as it was"),
    Case("restore-manifest-not-json", "restore", "an archive whose manifest.json is not JSON",
         _restore(lambda u: (u / "manifest.json").write_text("{not json", encoding="utf-8")), 2, "is not valid JSON",
         sees="error: the manifest in kb-backup.tar.gz is not valid JSON (JSONDecodeError) / hint: nothing was restored; the library is as it was"),
    Case("restore-db-not-sqlite", "restore", "an archive whose kb.sqlite is not a database",
         _restore(lambda u: (u / "kb.sqlite").write_bytes(b"not a database " * 400)), 2, "is not an SQLite database",
         sees="error: kb.sqlite in kb-backup.tar.gz is not an SQLite database / hint: nothing was restored; the library is as it was"),
    Case("restore-db-newer", "restore", "an archive whose database is newer than its manifest and this kb (schema 99)",
         _restore(_newer_db), 2, "newer paper-kb",
         sees="error: kb-backup.tar.gz was made by a newer paper-kb (schema 99, this one knows 6) / hint: upgrade paper-kb first; nothing was restored; the library is as it was"),
    # -- issue 15: settings -------------------------------------------------------------------------------------
    Case("config-wrong-type", "config", 'config.toml with `new_per_day = "lots"`, then `kb review due`',
         _config_file('[review]\nnew_per_day = "lots"\n', "review", "due"), 2, "is text, not a number",
         sees="error: config.toml: review.new_per_day = 'lots' is text, not a number / hint: review.new_per_day takes a whole number from 0 to 10,000 cards, written without quotes"),
    Case("config-huge-value", "config", "config.toml with a 10 MB viewer.command, then `kb config viewer.command`",
         _config_file('[viewer]\ncommand = "' + "x" * 10_000_000 + '"\n', "config", "viewer.command"), 2, "characters long",
         sees="error: config.toml: viewer.command = xxxxxxxx… is 10,000,000 characters long / hint: viewer.command takes one line of text up to 4,096 characters; fix it with `kb config viewer.command VALUE`"),
    Case("config-nan", "config", "config.toml with `desired_retention = nan`, then `kb config`",
         _config_file("[review]\ndesired_retention = nan\n", "config"), 2, "not a finite number",
         sees="error: config.toml: review.desired_retention = nan is not a finite number / hint: review.desired_retention takes a number from 0.7 to 0.99; fix it with `kb config review.desired_retention VALUE`"),
    Case("config-huge-number", "config", "config.toml with `new_per_day = 1e20`, then `kb review due`",
         _config_file("[review]\nnew_per_day = 1e20\n", "review", "due"), 2, "out of range",
         sees="error: config.toml: review.new_per_day = 1e+20 is out of range / hint: review.new_per_day takes a whole number from 0 to 10,000 cards; fix it with `kb config review.new_per_day VALUE`"),
    Case("config-negative", "config", "config.toml with `new_per_day = -20`, then `kb review due`",
         _config_file("[review]\nnew_per_day = -20\n", "review", "due"), 2, "out of range",
         sees="error: config.toml: review.new_per_day = -20 is out of range / hint: review.new_per_day takes a whole number from 0 to 10,000 cards; fix it with `kb config review.new_per_day VALUE`"),
    Case("config-misspelt-key", "config", "config.toml with `new_per_dya = 5` (a misspelt key), then `kb config review.new_per_day`",
         _config_file("[review]\nnew_per_dya = 5\n", "config", "review.new_per_day"), 0, "did you mean review.new_per_day",
         sees="warning: config.toml: unknown setting review.new_per_dya (did you mean review.new_per_day?)"),
    Case("config-set-out-of-range", "config", "`kb config review.desired_retention 1.5`",
         lambda e: ["config", "review.desired_retention", "1.5"], 2, "out of range",
         sees="error: review.desired_retention = 1.5 is out of range / hint: review.desired_retention takes a number from 0.7 to 0.99"),
    # -- issue 15: arguments ------------------------------------------------------------------------------------
    Case("cli-negative-limit", "CLI", "`kb review due --limit -1` (two cards due)", _due_cards, 2, "out of range",
         sees="Error: Invalid value for '--limit': -1 is out of range: a whole number from 1 to 100,000"),
    Case("cli-huge-card-id", "CLI", "`kb review rate 10^30 good`", lambda e: ["review", "rate", "1" + "0" * 30, "good"], 2, "out of range",
         sees="Error: Invalid value for 'CARD_ID': 1000000000000000000000000000000 is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
    Case("cli-huge-since", "CLI", "`kb brief --since 99999999d`", lambda e: ["brief", "--since", "99999999d"], 2, "out of range",
         sees="Error: Invalid value for '--since': 99999999d is out of range: a whole number from 0 to 36,500 days"),
    Case("cli-huge-seed", "CLI", "`kb repro run lora --seed 10^20`", lambda e: ["repro", "run", "lora", "--seed", "1" + "0" * 20], 2, "out of range",
         sees="Error: Invalid value for '--seed': 100000000000000000000 is out of range: a whole number from 0 to 4,294,967,295"),
    # -- issue 15: secrets ---------------------------------------------------------------------------------------
    Case("zotero-key-with-quotes", "Zotero API", "`kb zotero setup --library-id 1 --api-key '\"abc123\"'` (a key pasted with its quotes)",
         lambda e: ["zotero", "setup", "--library-id", "1", "--api-key", '"abc123"'], 2, "has quotes in it",
         sees="error: the API key has quotes in it / hint: Zotero keys are letters and digits: paste it without quotes"),
    Case("zotero-key-in-argv", "Zotero API", "`kb zotero setup --library-id 1 --api-key KEY` (the key visible in `ps`)",
         lambda e: ["zotero", "setup", "--library-id", "1", "--api-key", "abcDEF123"], 0, "process list", unchanged=False,
         sees="warning: --api-key puts the key in the process list, where other users can see it (ps): next time leave it out to be asked for it, or use --api-key-stdin or KB_ZOTERO_API_KEY"),
    Case("zotero-no-key-here", "Zotero API", "`kb sync` of a web library restored from a backup on another machine (no key here)",
         _no_key_here, 7, "no Zotero key on this machine",
         sees="error: no Zotero key on this machine / hint: run `kb zotero setup` (backups leave the key out)"),
    # -- issue 15: PDFs -------------------------------------------------------------------------------------------
    Case("pdf-unmapped-fonts", "PDFs", "`kb add` of a PDF whose CID font has no ToUnicode map (text extracts as glyph numbers)",
         lambda e: ["add", str(_unmapped_font_pdf(e))], 1, "unmapped",
         sees="failed …/nomap.pdf: nomap.pdf: the text layer is unreadable: 100% of its characters are unmapped or private-use (fonts without a Unicode mapping) [no_text]"),
    # -- removing and reviewing (issue 13) ----------------------------------------------------------------------
    Case("plan-remove-unknown", "removing", "`kb plan remove nope --yes` (no such plan)",
         lambda e: (e.paper(), ["plan", "remove", "nope", "--yes"])[1], 3, "no plan"),
    Case("remove-unconfirmed", "removing", "`kb paper remove 1` without --yes and with no terminal to ask on",
         lambda e: (e.paper(), ["paper", "remove", "1"])[1], 2, "needs confirmation"),
    Case("paper-remove-unknown", "removing", "`kb paper remove 'no such paper' --yes`",
         lambda e: ["paper", "remove", "no such paper", "--yes"], 3, "no paper"),
    Case("run-remove-unknown", "removing", "`kb repro runs --remove 99 --yes` (no such run)",
         lambda e: ["repro", "runs", "--remove", "99", "--yes"], 3, "no run 99"),
    Case("review-bury-unknown-card", "cards", "`kb review bury 99999` (no such card)",
         lambda e: ["review", "bury", "99999"], 3, "no card"),
    Case("plan-done-unknown", "plans", "`kb plan done 'nothing like this'` (no such item)",
         lambda e: ["plan", "done", "nothing like this"], 3, "no plan item"),
    Case("export-unknown-plan", "plans", "`kb export bibtex --plan nope` (no such plan)",
         lambda e: (e.paper(), ["export", "bibtex", "--plan", "nope"])[1], 3, "no plan"),
    Case("graph-unlink-again", "graph", "`kb graph unlink A B` of a curated prerequisite already unlinked (or never linked)",
         _graph_unlink_again, 3, "is not a prerequisite of",
         sees="error: Attention Is All You Need is not a prerequisite of BERT: Pre-training of Deep Bidirectional Transformers"
              " / hint: see `kb graph PAPER` for its edges"),
    Case("cli-title-escapes", "CLI", "a paper title holding terminal escapes (colour, OSC 52 clipboard write)",
         lambda e: (e.paper("Escapes \x1b[31mred\x1b[0m and \x1b]52;c;cGF3bmVk\x07 clipboard"), ["show", "1"])[1], 0,
         "Escapes red and  clipboard", sees="the title without them: Escapes red and clipboard (the TUI strips them too)"),
    # -- numbers that name no row: beyond SQLite's integers, or digits int() refuses ------------------------------
    Case("cli-huge-paper-id", "CLI", "`kb show 10^30` (a paper id beyond SQLite's integers)",
         lambda e: (e.paper(), ["show", HUGE])[1], 3, "no paper matches",
         sees=f"error: no paper matches '{HUGE}' / hint: see `kb papers` for ids and citekeys"),
    Case("cli-superscript-paper-id", "CLI", "`kb show ²` (a digit to str.isdigit, not to int())",
         lambda e: (e.paper(), ["show", "²"])[1], 3, "no paper matches",
         sees="error: no paper matches '²' / hint: see `kb papers` for ids and citekeys"),
    Case("repro-runs-huge-paper", "reproductions", "`kb repro runs 10^30` (runs of a paper id beyond SQLite's integers)",
         lambda e: (e.paper(), ["repro", "runs", HUGE])[1], 3, "no paper matches",
         sees=f"error: no paper matches '{HUGE}' / hint: see `kb papers` for ids and citekeys"),
    Case("repro-show-huge-run", "reproductions", "`kb repro show 10^30`", lambda e: ["repro", "show", HUGE], 3, "no run",
         sees=f"error: no run {HUGE} / hint: see `kb repro runs` for the recorded runs"),
    Case("run-remove-huge-id", "removing", "`kb repro runs --remove 10^30 --yes`",
         lambda e: ["repro", "runs", "--remove", HUGE, "--yes"], 3, "no run",
         sees=f"error: no run {HUGE} / hint: see `kb repro runs` for the recorded runs"),
    Case("plan-done-huge-id", "plans", "`kb plan done 10^30` (an item id beyond SQLite's integers)",
         lambda e: ["plan", "done", HUGE], 3, "no plan item",
         sees=f"error: no plan item matches '{HUGE}' / hint: see `kb plan show` (or `kb plan show --json` for item ids)"),
    Case("plan-show-huge-id", "plans", "`kb plan show 10^30` (a plan id beyond SQLite's integers)",
         lambda e: ["plan", "show", HUGE], 3, "no plan",
         sees=f"error: no plan '{HUGE}' / hint: import one with `kb plan import FILE`"),
    Case("review-bury-huge-card-id", "cards", "`kb review bury 10^30`", lambda e: ["review", "bury", HUGE], 2, "out of range",
         sees=f"Error: Invalid value for 'CARD_ID': {HUGE} is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
    Case("review-suspend-huge-card-id", "cards", "`kb review suspend 10^30`", lambda e: ["review", "suspend", HUGE], 2, "out of range",
         sees=f"Error: Invalid value for 'CARD_ID': {HUGE} is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
    Case("review-edit-huge-card-id", "cards", "`kb review edit 10^30 --json`", lambda e: ["review", "edit", HUGE, "--json"], 2,
         "out of range",
         sees=f"Error: Invalid value for 'CARD_ID': {HUGE} is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
    Case("review-preview-huge-card-id", "cards", "`kb review preview 10^30`", lambda e: ["review", "preview", HUGE], 2,
         "out of range",
         sees=f"Error: Invalid value for 'CARD_ID': {HUGE} is out of range: a whole number from 1 to 9,223,372,036,854,775,807"),
]
