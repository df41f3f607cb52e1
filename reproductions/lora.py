"""LoRA (Hu et al. 2021, arXiv 2106.09685) with PEFT on the pretrained all-MiniLM-L6-v2.

Claim checked (Sections 4 and 5): adapting only the query and value projections with rank-r
matrices, W = W0 + (alpha/r) B A (eq. 3), trains well under 1% of the parameters yet reaches
the accuracy of full fine-tuning within a few points, on the same task and training budget.
Also (Section 4.2): the adapter merges into W0 with identical outputs (no inference latency),
and the adapter checkpoint is a tiny fraction of the model's.

Task: classify standard-library docstrings by module family (asyncio / email / xml / unittest),
built at run time; mean-pooled MiniLM features into a linear head trained in both settings.
"""

from __future__ import annotations

from reproductions.registry import Param, Preset, ReproSpec

SPEC = ReproSpec(
    name="lora",
    title="LoRA: low-rank adaptation of MiniLM's query and value projections",
    paper="2106.09685",
    paper_title="LoRA: Low-Rank Adaptation of Large Language Models",
    claim="Rank-4-8 LoRA on the query and value projections trains <1% of the parameters and reaches full "
          "fine-tuning's accuracy within a few points; the merged adapter gives identical outputs.",
    module=__name__,
    params=(
        Param("rank", int, 8, "r of eq. 3", 1, 256),
        Param("lora_alpha", float, 16.0, "alpha: the update is scaled by alpha / r", 0.1, 1024.0),
        Param("lora_lr", float, 1e-3, "learning rate of the LoRA run", 1e-6, 1.0),
        Param("full_lr", float, 5e-5, "learning rate of full fine-tuning", 1e-7, 1.0),
        Param("steps", int, 40, "optimizer steps per setting (the same budget for both)", 1, 100000),
        Param("batch_size", int, 16, "examples per step", 1, 1024),
        Param("per_class", int, 100, "docstrings per class", 8, 1000),
        Param("max_length", int, 32, "tokens per docstring", 8, 512),
        Param("tolerance", float, 0.05, "accuracy gap to full fine-tuning still counted as matching", 0.0, 1.0),
        Param("model", str, "", "a local folder or Hugging Face name (default: the bundled all-MiniLM-L6-v2)"),
    ),
    presets=(
        Preset("tiny", 15, {"steps": 3, "per_class": 10, "batch_size": 8, "max_length": 16}),
        Preset("quick", 110, {}),
        Preset("full", 300, {"steps": 600, "per_class": 400, "max_length": 128, "batch_size": 32}, gpu=True),
    ),
    keywords=("lora", "low-rank adaptation", "低秩", "peft"),
)


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameters."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def lora_linear_type():
    """LoRA written out (Section 4.1, eq. 3), labml style: h = W0 x + (alpha / r) B A x, with W0
    frozen, A (r x d_in) random and B (d_out x r) zero, so training starts from W0 exactly.
    Initialised as PEFT does: A Kaiming-uniform (a = sqrt(5), nn.Linear's default), B zeros."""
    import math

    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self, base, rank: int, alpha: float):
            super().__init__()
            self.base = base  # W0 and its bias, frozen
            for p in self.base.parameters():
                p.requires_grad_(False)
            self.rank, self.scaling = rank, alpha / rank
            self.lora_A = torch.nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))  # B = 0: the update starts at 0
            torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

        def delta_weight(self):
            """Delta W = (alpha / r) B A: what merging adds to W0."""
            return self.scaling * (self.lora_B @ self.lora_A)

        def forward(self, x):
            return self.base(x) + self.scaling * ((x @ self.lora_A.t()) @ self.lora_B.t())

        def merged(self):
            """W = W0 + (alpha / r) B A as one plain nn.Linear: no extra inference latency (Section 4.1)."""
            lin = torch.nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
            with torch.no_grad():
                lin.weight.copy_(self.base.weight + self.delta_weight())
                if self.base.bias is not None:
                    lin.bias.copy_(self.base.bias)
            return lin

    return LoRALinear


def add_lora_explicit(encoder, rank: int, alpha: float):
    """Freeze the encoder and wrap its W_q and W_v in LoRALinear (what PEFT's LoraConfig does below)."""
    from reproductions.encoder import query_value_modules

    cls = lora_linear_type()
    targets = set(query_value_modules(encoder))
    for p in encoder.parameters():
        p.requires_grad_(False)
    for name, mod in [(n, m) for n, m in encoder.named_modules() if n.rsplit(".", 1)[-1] in targets]:
        parent, _, child = name.rpartition(".")
        setattr(encoder.get_submodule(parent), child, cls(mod, rank, alpha))
    return encoder


def add_lora(encoder, rank: int, alpha: float):
    """The same with PEFT: W0 frozen, B A on W_q and W_v (Section 4.2), A Kaiming-uniform, B zero."""
    from peft import LoraConfig, get_peft_model

    from reproductions.encoder import query_value_modules

    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=query_value_modules(encoder), lora_dropout=0.0, bias="none")
    return get_peft_model(encoder, config)


def _classifier(encoder, n_classes: int):
    import torch

    class Classifier(torch.nn.Module):
        """Mean-pooled encoder states -> a linear head (trained in both settings)."""

        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(encoder.config.hidden_size, n_classes)

        def forward(self, input_ids, attention_mask, **kw):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1))

    return Classifier()


def _train_eval(model, batches, test, steps: int, lr: float, ctx, phase: str, dev: str) -> tuple[float, list]:
    import torch

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    curve = []
    model.train()
    for step in range(steps):
        enc, y = batches[step % len(batches)]
        loss = torch.nn.functional.cross_entropy(model(**{k: v.to(dev) for k, v in enc.items()}), y.to(dev))
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append([step + 1, round(loss.item(), 4)])
        ctx.progress(step + 1, steps, {"loss": loss.item()}, None, phase)
    return _accuracy(model, test, dev), curve


def _accuracy(model, test, dev) -> float:
    import torch

    model.eval()
    right = n = 0
    with torch.no_grad():
        for enc, y in test:
            right += (model(**{k: v.to(dev) for k, v in enc.items()}).argmax(-1).cpu() == y).sum().item()
            n += len(y)
    return right / max(n, 1)


def _dir_bytes(path) -> int:
    import os

    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if f.endswith(".safetensors"))


def run(cfg: dict, ctx) -> dict:
    import random
    import tempfile

    import torch
    from safetensors.torch import save_file

    from reproductions import data, encoder as encoders

    dev = ctx.device
    tok = encoders.load_tokenizer(cfg["model"])
    texts, labels, classes, data_hash = data.stdlib_docstrings(per_class=cfg["per_class"], seed=ctx.seed)
    train, test = data.split(len(texts), 0.25, ctx.seed)
    bs, ml = cfg["batch_size"], cfg["max_length"]

    def batchify(idx):
        out = []
        for i in range(0, len(idx), bs):
            chunk = idx[i:i + bs]
            enc = tok([texts[j] for j in chunk], truncation=True, max_length=ml, padding=True, return_tensors="pt")
            out.append(({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}, torch.tensor([labels[j] for j in chunk])))
        return out

    order = list(train)
    random.Random(ctx.seed).shuffle(order)
    batches, test_batches = batchify(order), batchify(test)

    # Full fine-tuning: every weight trains.
    torch.manual_seed(ctx.seed)
    full = _classifier(encoders.load_model(cfg["model"]), len(classes)).to(dev)
    full_trainable, total = count_parameters(full)
    full_acc, full_curve = _train_eval(full, batches, test_batches, cfg["steps"], cfg["full_lr"], ctx, "full fine-tuning", dev)
    with tempfile.TemporaryDirectory() as tmp:
        save_file({k: v.contiguous() for k, v in full.state_dict().items()}, f"{tmp}/full.safetensors")
        full_ckpt = _dir_bytes(tmp)
    del full

    # LoRA: W0 frozen, only B A on W_q and W_v (and the task head) train.
    torch.manual_seed(ctx.seed)
    encoder = add_lora(encoders.load_model(cfg["model"]), cfg["rank"], cfg["lora_alpha"])
    model = _classifier(encoder, len(classes)).to(dev)
    lora_params = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)
    trainable, total_with_lora = count_parameters(model)
    base_params = total_with_lora - lora_params
    lora_acc, lora_curve = _train_eval(model, batches, test_batches, cfg["steps"], cfg["lora_lr"], ctx, "LoRA", dev)
    with tempfile.TemporaryDirectory() as tmp:
        encoder.save_pretrained(tmp)  # the adapter only
        adapter_ckpt = _dir_bytes(tmp)

    # Merge (Section 4.2): W = W0 + (alpha/r) B A; outputs must not change.
    enc0, _ = test_batches[0]
    enc0 = {k: v.to(dev) for k, v in enc0.items()}
    model.eval()
    with torch.no_grad():
        before = model(**enc0)
        model.encoder = encoder.merge_and_unload()
        after = model(**enc0)
    merge_diff = (before - after).abs().max().item()
    merged_params = sum(p.numel() for p in model.parameters())

    pct = 100.0 * lora_params / base_params
    gap = full_acc - lora_acc
    held_params = pct < 1.0
    held_acc = gap <= cfg["tolerance"]
    held_merge = merge_diff < 1e-4 and merged_params == base_params
    metrics = {"full_accuracy": round(full_acc, 4), "lora_accuracy": round(lora_acc, 4), "accuracy_gap": round(gap, 4),
               "lora_params": lora_params, "base_params": base_params, "lora_param_pct": round(pct, 4),
               "trainable_with_head": trainable, "full_trainable": full_trainable,
               "merge_max_abs_diff": merge_diff, "adapter_ckpt_bytes": adapter_ckpt, "full_ckpt_bytes": full_ckpt,
               "ckpt_ratio": round(adapter_ckpt / max(full_ckpt, 1), 5), "rank": cfg["rank"], "steps": cfg["steps"],
               "train_examples": len(train), "test_examples": len(test), "classes": classes,
               "final_loss_full": full_curve[-1][1], "final_loss_lora": lora_curve[-1][1]}
    claims = [
        {"check": f"trainable parameters (rank {cfg['rank']}, W_q and W_v)", "paper": "<1% (GPT-3: 0.01%)",
         "measured": f"{lora_params:,} of {base_params:,} = {pct:.2f}% (+{trainable - lora_params:,} head)", "held": held_params},
        {"check": f"accuracy vs full fine-tuning ({cfg['steps']} steps each)", "paper": "on par",
         "measured": f"LoRA {lora_acc:.1%} vs full {full_acc:.1%} (gap {gap:+.1%}, allowed {cfg['tolerance']:.0%})", "held": held_acc},
        {"check": "merged adapter gives the same outputs", "paper": "no added inference latency",
         "measured": f"max |diff| {merge_diff:.1e}; {merged_params:,} params after merge", "held": held_merge},
        {"check": "checkpoint size", "paper": "GPT-3: 350GB -> 35MB",
         "measured": f"adapter {adapter_ckpt / 1024:.0f} KiB vs model {full_ckpt / 2**20:.1f} MiB", "held": None},
    ]
    return {"passed": bool(held_params and held_acc and held_merge), "metrics": metrics, "claims": claims,
            "curves": {"loss_full": full_curve, "loss_lora": lora_curve},
            "notes": [f"{len(train)} training / {len(test)} test docstrings, classes {', '.join(classes)}."],
            "data_hash": data_hash}
