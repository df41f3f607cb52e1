"""A student's week on the ten real PDFs: notes in three styles (the template, free-form Chinese,
a bullet list), a note of only cards, an English note under a Chinese plan, a paper without a
PDF, runs that held, did not hold, were cancelled or recorded nothing, and a plan whose week 2
is this week.

Used by the brief's tests; `python -m tests.brief.library HOME` builds it in HOME to look at.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

TEMPLATE_NOTE = """---
citekey: {citekey}
---
# LoRA: Low-Rank Adaptation of Large Language Models

*Edward J. Hu et al. (2021)*

> The abstract, as the template quotes it: never the user's words.

## Problem
<!-- What problem does the paper solve, and why did earlier work fall short? -->
Full fine-tuning of GPT-3 175B needs a copy of every weight per task.

## Method
Freeze W0 and learn a low-rank update BA with rank r, applied to Wq and Wv.

What does LoRA freeze? :: the pretrained weights W0
LoRA adds {{{{c1::no inference latency}}}} because BA merges into W0.

## Key results
- GPT-3 175B: 4.7M trainable parameters, WikiSQL 73.4 vs 73.8 for full fine-tuning.

## Limitations

## Questions
Why only the query and value projections?
"""

FREE_ZH_NOTE = """这篇论文讲的是知识蒸馏。大模型或者集成模型效果好，但是部署太贵，所以想把知识迁移到小模型。

方法：教师在高温 T 下给出软目标，学生同时拟合软目标和真实标签，软目标的损失乘以 T²。

在 MNIST 上，蒸馏后的小模型只有 74 个测试错误，直接训练是 146 个，提升很明显。

我不太明白为什么温度太高反而不好？

为什么软目标损失要乘以 T²？ :: 梯度按 1/T² 缩小
"""

BULLET_NOTE = """# FlashAttention

- IO-aware exact attention: tiles Q, K, V into SRAM and never writes the N x N matrix to HBM
- backward recomputes the attention from the saved softmax statistics instead of storing it
- 15% faster BERT-large training than the MLPerf record, 3x faster GPT-2
- Limitation: needs a new CUDA kernel for every attention variant
- Does the speed-up survive on GPUs with a larger SRAM?
"""

ONLY_CARDS_NOTE = """---
citekey: {citekey}
---
What is LLM.int8()'s outlier threshold? :: 6.0
Which dimensions stay in fp16? :: the {{{{c1::outlier feature}}}} dimensions
"""

ENGLISH_NOTE = """## Problem
Fine-tuning a 65B model needs more than 780 GB of GPU memory.

## Method
4-bit NormalFloat quantisation of the frozen model, double quantisation, paged optimisers; LoRA on top.
"""

PLAN = """# 三周阅读计划：从 Transformer 到高效微调与量化，每周组会汇报一次

说明：每周读完计划中的论文，写笔记，做一个复现实验，并在周五的组会上汇报进展和遇到的问题。

## 第1个月：基础

### 周1：Transformer
- **论文阅读**：
  - "Attention Is All You Need"
  - "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"

### 周2：高效微调与蒸馏
- **论文阅读**：
  - "LoRA: Low-Rank Adaptation of Large Language Models"
  - "Distilling the Knowledge in a Neural Network"
  - "Parameter-Efficient Transfer Learning for NLP"
  - "Scaling Laws for Neural Language Models"

### 周3：量化
- **论文阅读**：
  - "QLoRA: Efficient Finetuning of Quantized LLMs"
- **编程实践**：
  - 复现 LLM.int8() 的离群值分解实验
"""

CLAIMS = [
    {"check": "trainable parameters vs full fine-tuning", "paper": "10,000x fewer", "measured": "LoRA 0.6% of the weights",
     "held": True, "naive": "full fine-tuning: 100%", "naive_held": False},
    {"check": "accuracy within 1 point of full fine-tuning", "paper": "on par (Table 2)", "measured": "LoRA 91.2% vs full 91.6%",
     "held": True, "naive": "rank 0 (no update): 52.0%", "naive_held": False},
]


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(store, home: Path, papers_dir: Path, now: datetime | None = None) -> dict:
    """The library; returns citekeys and ids by short name."""
    from kb import papers
    from kb.pdf.ingest import add_paths
    from kb.plans import importer

    now = now or datetime.now(timezone.utc)
    add_paths(store, [papers_dir])  # what `kb add DIR` does
    by_arxiv = {r["arxiv_id"]: dict(r) for r in store.all("SELECT id, citekey, arxiv_id, title FROM papers")}
    ids = {name: by_arxiv[arxiv] for name, arxiv in (
        ("lora", "2106.09685"), ("kd", "1503.02531"), ("flash", "2205.14135"), ("int8", "2208.07339"),
        ("qlora", "2305.14314"), ("attention", "1706.03762"), ("bert", "1810.04805"), ("scaling", "2001.08361"),
        ("adapters", "1902.00751"), ("distilbert", "1910.01108"))}
    nopdf, _ = papers.upsert(store, title="Prefix-Tuning: Optimizing Continuous Prompts for Generation", year=2021,
                             authors=["Xiang Lisa Li", "Percy Liang"], arxiv_id="2101.00190")
    ids["prefix"] = {"id": nopdf.id, "citekey": nopdf.citekey, "title": nopdf.title}
    recent = _iso(now - timedelta(days=2))
    for name in ("lora", "kd", "flash", "int8", "qlora", "prefix"):
        papers.set_status(store, ids[name]["id"], "read", at=recent)
    for name in ("attention", "bert"):
        papers.set_status(store, ids[name]["id"], "read", at=_iso(now - timedelta(days=12)))
    notes = home / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    for name, text in (("lora", TEMPLATE_NOTE), ("kd", FREE_ZH_NOTE), ("flash", BULLET_NOTE), ("int8", ONLY_CARDS_NOTE),
                       ("qlora", ENGLISH_NOTE)):
        (notes / f"{ids[name]['citekey']}.md").write_text(text.format(citekey=ids[name]["citekey"]), encoding="utf-8")
    plan_file = home / "plan.md"
    plan_file.write_text(PLAN, encoding="utf-8")
    importer.import_plan(store, plan_file, name="three-weeks")
    start = (now - timedelta(days=13)).date()  # a 7-day brief covers week 2 of the plan
    importer.set_start(store, "three-weeks", start)
    _runs(store, ids, now)
    return ids


def _run(store, reproduction: str, arxiv: str, paper_id: int, status: str, passed, details: dict, metrics: dict,
         seconds: float | None, started: datetime, error: str | None = None) -> int:
    import json

    with store.tx():
        cur = store.execute(
            "INSERT INTO runs (reproduction, paper_arxiv, paper_id, preset, params, seed, device, status, passed, metrics,"
            " details, claim, error, started_at, finished_at, seconds) VALUES (?, ?, ?, 'quick', '{}', 7, 'cpu', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reproduction, arxiv, paper_id, status, passed, json.dumps(metrics), json.dumps(details),
             "the paper's claim", error, _iso(started), _iso(started + timedelta(seconds=seconds or 1)), seconds))
    return cur.lastrowid


def _runs(store, ids: dict, now: datetime) -> None:
    curve = {"loss_full": [[s, 1.0 / (s + 1)] for s in range(0, 40, 2)], "loss_lora": [[s, 1.1 / (s + 1)] for s in range(0, 40, 2)]}
    _run(store, "lora", "2106.09685", ids["lora"]["id"], "passed", 1, {"claims": CLAIMS, "curves": curve},
         {"lora_acc": 0.912, "full_acc": 0.916}, 84.2, now - timedelta(days=1))
    _run(store, "kd", "1503.02531", ids["kd"]["id"], "cancelled", None, {}, {}, 3.0, now - timedelta(days=1),
         error="cancelled by the user")
    _run(store, "flashattention", "2205.14135", ids["flash"]["id"], "failed", 0,
         {"claims": [{"check": "memory linear in N", "paper": "linear (Fig. 3)", "measured": "flash 2.1 MiB vs standard 64 MiB at N=4096", "held": False}],
          "curves": {"flash_MiB": [[512, 0.3], [1024, 0.6], [2048, 1.1], [4096, 2.1]],
                     "standard_MiB": [[512, 1.0], [1024, 4.0], [2048, 16.0], [4096, 64.0]]}},
         {"flash_mib": 2.1}, 12.5, now - timedelta(hours=20))
    _run(store, "llm-int8", "2208.07339", ids["int8"]["id"], "error", None, {}, {}, None, now - timedelta(hours=5),
         error="bitsandbytes is not installed")


if __name__ == "__main__":
    from kb.store import Store

    target = Path(sys.argv[1])
    store = Store.open(target)
    print(build(store, target, Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/work/shared/papers")))
