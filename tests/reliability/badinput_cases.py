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


PLAN_PROSE = "# My reading\n\n## Ideas\n\n### Later\n\n---\n"
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


def _ambiguous(env: Env) -> list[str]:
    env.paper("Scaling Laws for Neural Language Models", year=2020)
    env.paper("Scaling Laws for Autoregressive Generative Modeling", year=2020)
    return ["show", "Scaling Laws"]


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
    # -- CLI arguments -----------------------------------------------------------------------------------------
    Case("cli-unknown-paper", "CLI", "`kb show` of a paper that is not in the library", lambda e: ["show", "no such paper"], 3, "no paper"),
    Case("cli-ambiguous-paper", "CLI", "`kb show Scaling Laws` matching two papers", _ambiguous, 4, "matches"),
    Case("cli-empty-query", "CLI", '`kb search ""` (an empty query)', lambda e: ["search", "", "--mode", "lexical"], 2, "empty"),
    Case("cli-bad-status", "CLI", "`kb status 1 finished` (not a status)", lambda e: (e.paper(), ["status", "1", "finished"])[1], 2, "invalid value"),
    Case("cli-unknown-command", "CLI", "`kb frobnicate`", lambda e: ["frobnicate"], 2, "no such command"),
    Case("cli-bad-since", "CLI", "`kb brief --since banana`", lambda e: ["brief", "--since", "banana"], 2, "cannot read the period"),
    Case("cli-home-is-file", "CLI", "`--home` pointing at a regular file",
         lambda e: ["--home", str(e.file("afile", "x")), "papers"], 2, "is a file"),
]
