"""States a real week leaves behind, built through the domain's own functions.

Each generator fills a fresh data home; `STATES` names them so a test can mount every screen over
each one. They hold what tidy fixtures never do: several runs of one paper with every verdict,
a plan listing one paper twice, several plans, titles that look like markup or carry terminal
escapes, CJK, a paper without a PDF, and an empty library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from kb import papers
from kb.store import Store

# Titles that are markup to Textual or Rich if ever parsed as such, or escapes to a terminal.
HOSTILE_TITLES = (
    "Editing [/etc/hosts] for offline mirrors",
    "[b]Bold[/b] claims and a stray closer [/]",
    "Back\\slash \\[escaped] and [red]not red[/red]",
    "Unclosed [link=https://x.y tag and [@click=app.quit]quit[/]",
    "Escapes \x1b[31mred\x1b[0m and \x1b]0;window title\x07 and \x1b]52;c;cGF3bmVk\x07 clipboard",
    "注意力机制综述 [综述] Attention Survey",
)
# What each title must look like on screen: escapes gone, brackets kept.
SHOWN_TITLES = (
    "Editing [/etc/hosts] for offline mirrors",
    "[b]Bold[/b] claims and a stray closer [/]",
    "Back\\slash \\[escaped] and [red]not red[/red]",
    "Unclosed [link=https://x.y tag and [@click=app.quit]quit[/]",
    "Escapes red and  and  clipboard",
    "注意力机制综述 [综述] Attention Survey",
)

PLAN_MD = """\
# Reading plan [draft] \\ 草稿

## Month 1 [core]

### Week 1: basics [b]bold[/b]

- [ ] Editing [/etc/hosts] for offline mirrors
- [ ] "Attention Is All You Need" (arXiv:1706.03762)
- [ ] "Attention Is All You Need" (arXiv:1706.03762)
- [x] Distilling the Knowledge in a Neural Network (arXiv:1503.02531)
- [ ] Book: Deep Learning [/] by Goodfellow
- [ ] Task: reproduce \\[x] closers [/]

### Week 2: 量化 [量化]

- [ ] 注意力机制综述 [综述] Attention Survey
"""

SECOND_PLAN_MD = """\
# 大模型学习计划 [第二版]

## 第1个月

### 周1-2：基础 [/]

- [ ] LoRA: Low-Rank Adaptation of Large Language Models (arXiv:2106.09685)
- [ ] QLoRA: Efficient Finetuning of Quantized LLMs (arXiv:2305.14314)
"""

CLAIMS = [
    {"check": "student [b]beats[/b] baseline", "paper": "74 → 61 [errors]", "measured": "0.82 vs 0.79", "held": True,
     "naive": "no temperature [T=1]", "naive_held": False},
    {"check": "soft targets carry [/] dark knowledge", "paper": "3 % of data suffices", "measured": "0.77", "held": False},
]


def empty(home: Path) -> None:
    """No papers, no plans: Today shows the welcome screen."""
    with Store.open(home):
        pass


def _import(store: Store, home: Path, name: str, text: str) -> None:
    from kb.plans import importer

    path = home / "plans-in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    importer.import_plan(store, path)


def hostile_titles(home: Path) -> None:
    """Papers and a plan whose titles, week labels and notes look like markup or escapes; a plan
    listing one paper twice in one week; a note whose cards hold brackets."""
    from kb import config as config_mod, paths
    from notes import files, sync

    with Store.open(home) as store:
        _import(store, home, "hostile.md", PLAN_MD)
        made = [papers.upsert(store, title=t, year=2020 + i, authors=["A. [b]Author[/b]"],
                              abstract="An abstract with [red]markup[/red] and [/] closers.")[0]
                for i, t in enumerate(HOSTILE_TITLES)]
        # A link the user made: the Graph screen lists these titles as neighbours.
        from kb.graph import links

        links.link(store, made[0].id, made[1].id)
        links.link(store, made[4].id, made[0].id)
        config = config_mod.load(paths.config_path(home))
        note = files.ensure_note(store, home, config, made[0])
        note.write_text(note.read_text(encoding="utf-8")
                        + "\n\nWhat does [/etc/hosts] map? :: names to [b]addresses[/b]\n\n"
                          "A {{c1::[/] closer}} is not markup.\n", encoding="utf-8")
        sync.sync_notes(store, home, config)


def many_runs(home: Path) -> None:
    """The distillation paper with runs of every verdict (held, not held, cancelled, error, and a
    run whose process vanished), and a second paper with two runs; none with a PDF."""
    from reproductions import records, registry

    with Store.open(home) as store:
        kd, _ = papers.upsert(store, title="Distilling the Knowledge in a Neural Network [v2]", arxiv_id="1503.02531", year=2015)
        papers.upsert(store, title="LoRA: Low-Rank Adaptation of Large Language Models", arxiv_id="2106.09685", year=2021)
        spec_kd, spec_lora = registry.get("kd"), registry.get("lora")
        outcomes = [
            (spec_kd, dict(status="passed", passed=True, metrics={"acc": 0.82, "loss": 0.4}, details={"claims": CLAIMS})),
            (spec_kd, dict(status="failed", passed=False, metrics={"acc": 0.5}, details={"claims": CLAIMS[1:]})),
            (spec_kd, dict(status="cancelled", error="cancelled by the user [c]")),
            (spec_kd, dict(status="error", error="CUDA out of memory [/] try --set batch=8")),
            (spec_lora, dict(status="passed", passed=True, metrics={"ppl": 12.5})),
            (spec_lora, dict(status="cancelled", error="cancelled")),
        ]
        for spec, outcome in outcomes:
            run_id = records.create(store, spec, "tiny", {}, 0, "cpu")
            records.finish(store, run_id, seconds=1.5, **outcome)
        # A run whose worker is gone (a closed terminal): reaped as a failure without a verdict.
        records.create(store, spec_kd, "tiny", {}, 0, "cpu")


def several_plans(home: Path) -> None:
    """Two plans (one Chinese) sharing no papers, plus the hostile one."""
    hostile_titles(home)
    with Store.open(home) as store:
        _import(store, home, "second.md", SECOND_PLAN_MD)


def week_of_everything(home: Path) -> None:
    """All of the above in one library."""
    several_plans(home)
    many_runs(home)


STATES: dict[str, Callable[[Path], None]] = {
    "empty": empty,
    "hostile_titles": hostile_titles,
    "many_runs": many_runs,
    # several_plans is inside week_of_everything: mounting the screens over it once is enough.
    "week_of_everything": week_of_everything,
}
