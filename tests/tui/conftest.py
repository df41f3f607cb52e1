"""A small library built through the domain's own functions, and helpers to drive the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import papers
from kb.store import Store

SIZE = (100, 32)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests on a fresh event loop (no async plugin needed for Pilot tests)."""
    import asyncio
    import inspect

    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
        return True
    return None


def build_library(home: Path) -> dict[str, int]:
    """Three papers (one with a Chinese title), a two-week plan that links them, a PDF attachment,
    and a note with a basic card and a cloze card."""
    from notes import files, sync
    from kb import config as config_mod, paths

    with Store.open(home) as store:
        lora, _ = papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685",
                                year=2021, authors=["Edward J. Hu"], abstract="We propose low-rank adaptation.")
        qlora, _ = papers.upsert(store, title="QLoRA: Efficient Finetuning of Quantized LLMs", arxiv_id="2305.14314", year=2023)
        zh, _ = papers.upsert(store, title="注意力机制综述 Attention Survey", year=2020)
        pdf = home / "files" / "lora.pdf"
        pdf.parent.mkdir(parents=True, exist_ok=True)
        pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
        papers.add_attachment(store, lora.id, str(pdf))
        with store.tx():
            plan_id = store.execute("INSERT INTO plans (name, title, lang) VALUES ('llm', 'LLM 学习计划', 'zh')").lastrowid
            rows = [
                ("a", 1, "paper", lora.title, "第1个月", "周1-2：LLM基础", 1, lora.id, 1),
                ("b", 2, "paper", zh.title, "第1个月", "周1-2：LLM基础", 1, zh.id, 0),
                ("c", 3, "task", "复现简单的LoRA微调实验", "第1个月", "周1-2：LLM基础", 1, None, 0),
                ("d", 4, "paper", qlora.title, "第2个月", "周5-6：量化", 5, qlora.id, 0),
            ]
            for key, pos, kind, text, phase, week, ws, pid, done in rows:
                store.execute(
                    "INSERT INTO plan_items (plan_id, item_key, position, kind, text, title, phase, week_label, week_start,"
                    " week_end, paper_id, done) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (plan_id, key, pos, kind, text, text if kind == "paper" else None, phase, week, ws, ws + 1, pid, done))
        config = config_mod.load(paths.config_path(home))
        note = files.ensure_note(store, home, config, lora)
        note.write_text(note.read_text(encoding="utf-8")
                        + "\n\nWhat does LoRA freeze? :: the pretrained weights\n\nLoRA adds {{c1::low-rank}} update matrices.\n",
                        encoding="utf-8")
        sync.sync_notes(store, home, config)
        return {"lora": lora.id, "qlora": qlora.id, "zh": zh.id}


@pytest.fixture
def library(home: Path) -> dict[str, int]:
    return build_library(home)


class Recorder:
    """Stands in for the editor and the PDF opener: records what the app asked for."""

    def __init__(self, append: str | None = None):
        self.calls: list = []
        self.append = append

    def edit(self, path: Path) -> None:
        self.calls.append(path)
        if self.append:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(self.append)

    def open(self, argv: list[str]) -> None:
        self.calls.append(argv)


async def settle(pilot, app, seconds: float = 5.0) -> None:
    """Wait until the app's workers are done and the messages they posted are handled."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    quiet = 0
    while loop.time() < deadline:
        await pilot.pause(0.05)
        # Quiet for a few polls in a row: a screen just pushed may not have started its worker yet.
        # Today mounts its panels after the first frame, then starts its worker: not quiet before.
        busy = [w for w in app.workers if w.is_running] or getattr(app.screen, "built", True) is False
        quiet = quiet + 1 if not busy else 0
        if quiet >= 4:
            return
    raise AssertionError("workers still running: " + ", ".join(w.name for w in app.workers if w.is_running))


def screen_text(app) -> str:
    """The visible screen as plain text (an SVG export stripped to its characters is brittle;
    this reads what each line shows)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, record=True, file=open("/dev/null", "w"), color_system=None,
                      legacy_windows=False, force_terminal=True)
    screen = app.screen._compositor.render_update(full=True)
    console.print(screen)
    return console.export_text()
