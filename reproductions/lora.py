"""LoRA (Hu et al. 2021, arXiv 2106.09685) on the pretrained all-MiniLM-L6-v2.

The method (Section 4.1, eq. 3): W0 frozen, h = W0 x + (alpha / r) B A x on the query and value
projections, B zero-initialised so training starts from W0; merged, W = W0 + (alpha / r) B A is
one plain matrix (no inference latency). `lora_linear_type` writes it out; the run trains with
PEFT and checks PEFT's merged weights against the formula. `run` below is the measuring harness.

Claims checked: rank-r LoRA trains < 1% of the parameters and reaches full fine-tuning's
accuracy within a few points on a task that needs adaptation, where the naive variant, a head
trained on the frozen encoder, does not; the merged weights equal W0 + (alpha / r) B A, where
an update with alpha / r ignored does not.

Task (built at run time, `data.rotated`): tell standard-library docstrings from the same words
rotated at a random point. The bag of words is unchanged, so frozen mean-pooled features barely
separate them; fine-tuning the encoder can learn where a sentence starts.

Speed (the quick preset, on a shared 2-core CPU): MiniLM's first 2 of 6 layers (`layers`, said in
the claim table), 24 tokens, tokenised once; fused AdamW; the head-only variant trains on frozen
features computed once; the test set (726 texts) is evaluated in batches of 256 without grad.
"""

from __future__ import annotations

from reproductions.registry import Param, Preset, ReproSpec

SPEC = ReproSpec(
    name="lora",
    title="LoRA: low-rank adaptation of MiniLM's query and value projections",
    paper="2106.09685",
    paper_title="LoRA: Low-Rank Adaptation of Large Language Models",
    claim="Rank-r LoRA on the query and value projections trains <1% of the parameters and reaches full fine-tuning's "
          "accuracy within a few points on a task a frozen encoder cannot do; the merged weights are W0 + (alpha/r) B A.",
    module=__name__,
    params=(
        Param("rank", int, 8, "r of eq. 3", 1, 256),
        Param("lora_alpha", float, 16.0, "alpha: the update is scaled by alpha / r", 0.1, 1024.0),
        Param("lora_lr", float, 2e-3, "learning rate of the LoRA run (and its head)", 1e-6, 1.0),
        Param("full_lr", float, 5e-5, "learning rate of full fine-tuning", 1e-7, 1.0),
        Param("head_lr", float, 1e-2, "learning rate of the head-only run (encoder frozen)", 1e-6, 1.0),
        Param("steps", int, 80, "optimizer steps per setting (the same budget for each)", 1, 100000),
        Param("batch_size", int, 16, "examples per step", 1, 1024),
        Param("per_class", int, 100, "docstrings per module family, 8 families (the texts rotated or not)", 8, 1000),
        Param("test_fraction", float, 0.4, "share of the texts held out for testing", 0.05, 0.9),
        Param("max_length", int, 32, "tokens per docstring", 8, 512),
        Param("layers", int, 0, "keep the encoder's first N transformer layers (0 = all; quick keeps 2 of MiniLM's 6)", 0, 128),
        Param("threads", int, 0, "CPU threads for torch (0 = the cores the load average leaves idle, at least 1)", 0, 256),
        Param("seeds", int, 2, "independent seeds (splits, rotations, initialisations); test sets pooled", 1, 20),
        Param("rank_sweep", bool, False, "also train r = 1, 2, 4 (Table 6: does r = 1-4 already suffice?)"),
        Param("tolerance", float, 0.05, "accuracy gap to full fine-tuning still counted as matching", 0.0, 1.0),
        Param("model", str, "", "a local folder or Hugging Face name (default: the bundled all-MiniLM-L6-v2)"),
    ),
    presets=(
        Preset("tiny", 20, {"steps": 3, "per_class": 8, "batch_size": 8, "max_length": 16, "seeds": 1, "layers": 1}),
        # MiniLM's first 2 layers, 24 tokens, all 1207 docstrings (726 tested: SE about 1.5 points); learning rates as the
        # paper's practice, LoRA's about 10x full fine-tuning's. Measured on 2 cores (seed 0): full 80.3%, LoRA 82.1%,
        # head only 65.8% (6.3 SE below full); 6 layers at 60 steps took 790 s under load and were 1.5 SE apart.
        Preset("quick", 120, {"seeds": 1, "steps": 120, "per_class": 1000, "max_length": 24, "layers": 2, "test_fraction": 0.6,
                              "full_lr": 2e-4, "lora_lr": 3e-3}),
        Preset("full", 600, {"steps": 600, "per_class": 400, "max_length": 64, "batch_size": 32, "seeds": 5,
                             "rank_sweep": True}, gpu=True),
    ),
    keywords=("lora", "low-rank adaptation", "低秩", "peft"),
    check=lambda cfg: _check_layers(cfg),  # defined below
)


def _check_layers(cfg: dict) -> None:
    """`layers` against the model's own depth, read from its config.json before anything runs
    (the bundled MiniLM has 6): otherwise the run loads torch and the model only to refuse it."""
    from reproductions import encoder

    encoder.check_layers(cfg["model"], cfg["layers"])


SWEEP_RANKS = (1, 2, 4)


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

        def pooled(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1)

        def forward(self, input_ids, attention_mask, **kw):
            return self.head(self.pooled(input_ids, attention_mask))

    return Classifier()


def _frozen_features(model, batches, dev) -> list:
    """The head-only variant's inputs: the frozen encoder's pooled states, computed once (eval
    mode, no grad), so training its head costs no encoder passes."""
    import torch

    model.eval()
    with torch.no_grad():
        return [({"features": model.pooled(**{k: v.to(dev) for k, v in enc.items()})}, y) for enc, y in batches]


def _head_on_features(head):
    import torch

    class HeadOnly(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head = head

        def forward(self, features):
            return self.head(features)

    return HeadOnly()


def _threads(asked: int) -> int:
    """torch's CPU threads: on a shared machine, two threads spinning against a busy second core
    ran a MiniLM step 6.7x slower than one (6.9 s vs 1.03 s at load average 8 on 2 cores)."""
    import os

    if asked:
        return asked
    cores = os.cpu_count() or 1
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:
        idle = cores
    return max(1, min(cores, round(idle)))


def _train_eval(model, batches, test, steps: int, lr: float, ctx, phase: str, dev: str) -> tuple[list[bool], list]:
    import torch

    # fused: one kernel over all tensors; on the CPU it made a 2-layer MiniLM's AdamW step 7x faster (0.18 -> 0.025 s)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01, fused=True)
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
    return _correct(model, test, dev), curve


def _correct(model, test, dev) -> list[bool]:
    """Per test example: right or not (pooled over seeds for the accuracy and its standard error)."""
    import torch

    model.eval()
    out: list[bool] = []
    with torch.no_grad():
        for enc, y in test:
            out += (model(**{k: v.to(dev) for k, v in enc.items()}).argmax(-1).cpu() == y).tolist()
    return out


def _dir_bytes(path) -> int:
    import os

    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if f.endswith(".safetensors"))


def merge_error(peft_encoder, ignore_scaling: bool = False) -> float:
    """max |W_merged - (W0 + (alpha/r) B A)| over the adapted layers, from PEFT's own A, B and
    scaling, before merging; `ignore_scaling` computes the naive W0 + B A instead."""
    import copy

    import torch

    want = {}
    for name, mod in peft_encoder.named_modules():
        if hasattr(mod, "lora_A") and "default" in getattr(mod, "lora_A", {}):
            scale = 1.0 if ignore_scaling else mod.scaling["default"]
            delta = mod.lora_B["default"].weight @ mod.lora_A["default"].weight
            want[name.replace("base_model.model.", "")] = (mod.base_layer.weight + scale * delta).detach().clone()
    merged = copy.deepcopy(peft_encoder).merge_and_unload()
    with torch.no_grad():
        return max((merged.get_submodule(n).weight - w).abs().max().item() for n, w in want.items())


def _ms_per_batch(model, batches, dev) -> float:
    import time

    import torch

    model.eval()
    with torch.no_grad():
        model(**{k: v.to(dev) for k, v in batches[0][0].items()})  # warm-up
        t0 = time.perf_counter()
        for enc, _ in batches:
            model(**{k: v.to(dev) for k, v in enc.items()})
        if dev == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1000 / len(batches)


def _acc(xs: list[bool]) -> tuple[float, float]:
    """Accuracy and its standard error sqrt(p(1-p)/n)."""
    n = max(len(xs), 1)
    p = sum(xs) / n
    return p, (p * (1 - p) / n) ** 0.5


def _one_seed(cfg: dict, ctx, seed: int, tok, ranks: list[int]) -> dict:
    """Full fine-tuning, LoRA, the head-only naive variant (and the rank sweep) on one seed's data."""
    import random
    import tempfile

    import torch

    from reproductions import data, encoder as encoders

    dev = ctx.device
    docs, _, _, data_hash = data.stdlib_docstrings(tuple(data.FAMILIES), per_class=cfg["per_class"], seed=seed)
    bs, ml = cfg["batch_size"], cfg["max_length"]
    # About 4 words per 3 tokens: the rotation point and the wrapped sentence end stay inside the tokens the model sees.
    texts, labels = data.rotated(docs, seed, max_words=max(4, ml * 3 // 4))
    train, test = data.split(len(texts), cfg["test_fraction"], seed)
    # Tokenised once for all settings; the test set in big batches (no grad: evaluating it is cheap).
    enc_all = tok(texts, truncation=True, max_length=ml, padding="max_length", return_tensors="pt")
    y_all = torch.tensor(labels)

    def batchify(idx, size):
        out = []
        for i in range(0, len(idx), size):
            chunk = torch.tensor(idx[i:i + size])
            width = int(enc_all["attention_mask"][chunk].sum(1).max())  # trim the padding this batch does not need
            out.append(({k: enc_all[k][chunk, :width] for k in ("input_ids", "attention_mask")}, y_all[chunk]))
        return out

    order = list(train)
    random.Random(seed).shuffle(order)
    batches, test_batches = batchify(order, bs), batchify(test, 256)
    steps, r = cfg["steps"], {"data_hash": data_hash, "train": len(train), "test": len(test)}

    def fresh():
        torch.manual_seed(seed)  # the same head initialisation in every setting
        return encoders.truncate(encoders.load_model(cfg["model"]), cfg["layers"])

    # Full fine-tuning: every weight trains.
    full = _classifier(fresh(), 2).to(dev)
    r["full_trainable"], r["total"] = count_parameters(full)
    r["layers"] = full.encoder.config.num_hidden_layers
    r["full"], r["curve_full"] = _train_eval(full, batches, test_batches, steps, cfg["full_lr"], ctx, f"seed {seed}: full fine-tuning", dev)
    with tempfile.TemporaryDirectory() as tmp:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in full.state_dict().items()}, f"{tmp}/full.safetensors")
        r["full_ckpt"] = _dir_bytes(tmp)
    del full
    # The naive variant: the encoder frozen, only the head trains (on the frozen features, computed once).
    frozen = _classifier(fresh(), 2).to(dev)
    for p in frozen.encoder.parameters():
        p.requires_grad_(False)
    head = _head_on_features(frozen.head)
    r["head"], _ = _train_eval(head, _frozen_features(frozen, batches, dev), _frozen_features(frozen, test_batches, dev),
                               steps, cfg["head_lr"], ctx, f"seed {seed}: head only", dev)
    del head, frozen
    # LoRA: W0 frozen, B A on W_q and W_v (and the head) train.
    for rank in [cfg["rank"]] + [k for k in ranks if k != cfg["rank"]]:
        torch.manual_seed(seed)
        encoder = add_lora(encoders.truncate(encoders.load_model(cfg["model"]), cfg["layers"]), rank, cfg["lora_alpha"])
        model = _classifier(encoder, 2).to(dev)
        correct, curve = _train_eval(model, batches, test_batches, steps, cfg["lora_lr"], ctx, f"seed {seed}: LoRA r={rank}", dev)
        r[f"lora_r{rank}"] = correct
        if rank != cfg["rank"]:
            continue
        r["curve_lora"] = curve
        r["lora_params"] = sum(p.numel() for n, p in model.named_parameters() if "lora_" in n)
        r["trainable_with_head"], total_with_lora = count_parameters(model)
        r["base_params"] = total_with_lora - r["lora_params"]
        with tempfile.TemporaryDirectory() as tmp:
            encoder.save_pretrained(tmp)  # the adapter only
            r["adapter_ckpt"] = _dir_bytes(tmp)
        r["merge_err"], r["merge_err_naive"] = merge_error(encoder), merge_error(encoder, ignore_scaling=True)
        r["ms_unmerged"] = _ms_per_batch(model, test_batches, dev)
        enc0 = {k: v.to(dev) for k, v in test_batches[0][0].items()}
        with torch.no_grad():
            before = model(**enc0)
            model.encoder = encoder.merge_and_unload()
            r["merge_out_diff"] = (model(**enc0) - before).abs().max().item()
        r["merged_params"] = sum(p.numel() for p in model.parameters())
        r["ms_merged"] = _ms_per_batch(model, test_batches, dev)
        del model, encoder
    return r


def run(cfg: dict, ctx) -> dict:
    import torch

    from reproductions import encoder as encoders

    if ctx.device == "cpu":
        torch.set_num_threads(_threads(cfg["threads"]))
    tok = encoders.load_tokenizer(cfg["model"])
    ranks = list(SWEEP_RANKS) if cfg["rank_sweep"] else []
    seeds = list(range(ctx.seed, ctx.seed + cfg["seeds"]))
    per = [_one_seed(cfg, ctx, s, tok, ranks) for s in seeds]
    pool = lambda key: [x for r in per for x in r[key]]  # noqa: E731
    full, full_se = _acc(pool("full"))
    lora_acc, lora_se = _acc(pool(f"lora_r{cfg['rank']}"))
    head, head_se = _acc(pool("head"))
    per_seed = {k: [round(_acc(r[k])[0], 4) for r in per] for k in ("full", "head", f"lora_r{cfg['rank']}")}
    r0 = per[0]
    layers = r0["layers"]
    pct = 100.0 * r0["lora_params"] / r0["base_params"]
    tol = cfg["tolerance"]
    held_params = pct < 1.0
    held_acc, naive_acc = full - lora_acc <= tol, full - head <= tol
    merge_err, merge_naive = max(r["merge_err"] for r in per), max(r["merge_err_naive"] for r in per)
    out_diff = max(r["merge_out_diff"] for r in per)
    held_merge = merge_err < 1e-5 and out_diff < 1e-4 and r0["merged_params"] == r0["base_params"]
    n_test = len(pool("full"))
    se_gap = (full_se ** 2 + head_se ** 2) ** 0.5
    metrics = {"full_accuracy": round(full, 4), "lora_accuracy": round(lora_acc, 4), "head_only_accuracy": round(head, 4),
               "accuracy_gap": round(full - lora_acc, 4), "head_only_gap": round(full - head, 4),
               "standard_errors": {"full": round(full_se, 4), "lora": round(lora_se, 4), "head": round(head_se, 4)},
               "per_seed": per_seed, "seeds": seeds, "test_examples_pooled": n_test, "train_examples": r0["train"],
               "lora_params": r0["lora_params"], "base_params": r0["base_params"], "lora_param_pct": round(pct, 4),
               "trainable_with_head": r0["trainable_with_head"], "full_trainable": r0["full_trainable"],
               "merge_max_abs_diff": merge_err, "merge_max_abs_diff_alpha_r_ignored": merge_naive, "merged_output_diff": out_diff,
               "adapter_ckpt_bytes": r0["adapter_ckpt"], "full_ckpt_bytes": r0["full_ckpt"],
               "ms_per_batch_unmerged": [round(r["ms_unmerged"], 2) for r in per], "ms_per_batch_merged": [round(r["ms_merged"], 2) for r in per],
               "rank": cfg["rank"], "steps": cfg["steps"], "layers": layers, "threads": torch.get_num_threads()}
    metrics["head_only_gap_se"] = round((full - head) / max(se_gap, 1e-9), 2)  # how clearly the naive variant fails
    sweep = {k: _acc(pool(f"lora_r{k}")) for k in sorted(set(ranks) | {cfg["rank"]})} if ranks else {}
    if sweep:
        metrics["rank_sweep"] = {str(k): round(v[0], 4) for k, v in sweep.items()}
    claims = [
        {"check": f"trainable parameters (rank {cfg['rank']}, W_q and W_v)", "paper": "<1% (GPT-3: 0.01%)",
         "measured": f"{r0['lora_params']:,} of {r0['base_params']:,} = {pct:.2f}% (+{r0['trainable_with_head'] - r0['lora_params']:,} head)",
         "held": held_params, "naive": None, "naive_held": None},
        {"check": f"accuracy vs full fine-tuning, within {tol:.0%} ({cfg['steps']} steps each, {len(seeds)} seeds, {n_test} test texts, "
                  f"MiniLM's first {layers} layers)",
         "paper": "on par with or better than full fine-tuning (Tables 2-4)",
         "measured": f"LoRA {lora_acc:.1%} ± {lora_se:.1%} vs full {full:.1%} ± {full_se:.1%} (gap {full - lora_acc:+.1%})",
         "held": held_acc,
         "naive": f"head only {head:.1%} ± {head_se:.1%}, {(full - head) / max(se_gap, 1e-9):.1f} SE below full (encoder frozen; "
                  f"gap {full - head:+.1%}; LoRA - head {lora_acc - head:+.1%}, "
                  f"{(lora_acc - head) / max((lora_se ** 2 + head_se ** 2) ** 0.5, 1e-9):.1f} SE)",
         "naive_held": naive_acc},
        {"check": "merged weights = W0 + (alpha/r) B A; same outputs", "paper": "merge: no added inference latency (Section 4.1)",
         "measured": f"max |W - formula| {merge_err:.1e}; outputs {out_diff:.1e}; {r0['merged_params']:,} params after merge",
         "held": held_merge, "naive": f"alpha/r ignored (W0 + B A): max |W - merged| {merge_naive:.1e}",
         "naive_held": merge_naive < 1e-5},
        {"check": "inference time per batch, unmerged -> merged (reported)", "paper": "no added latency once merged (Table 1)",
         "measured": ", ".join(f"{a:.1f} -> {b:.1f} ms" for a, b in zip(metrics["ms_per_batch_unmerged"], metrics["ms_per_batch_merged"])),
         "held": None, "naive": None, "naive_held": None},
        {"check": "checkpoint size (reported)", "paper": "GPT-3: 350GB -> 35MB",
         "measured": f"adapter {r0['adapter_ckpt'] / 1024:.0f} KiB vs model {r0['full_ckpt'] / 2**20:.1f} MiB", "held": None,
         "naive": None, "naive_held": None},
    ]
    if sweep:
        claims.append({"check": "rank sweep (reported)", "paper": "Table 6: r = 1-4 already suffices on W_q, W_v",
                       "measured": ", ".join(f"r={k} {a:.1%} ± {se:.1%}" for k, (a, se) in sweep.items()), "held": None,
                       "naive": None, "naive_held": None})
    return {"passed": bool(held_params and held_acc and held_merge), "metrics": metrics, "claims": claims,
            "curves": {"loss_full": r0["curve_full"], "loss_lora": r0["curve_lora"]},
            "notes": [f"Task: stdlib docstrings, original or rotated at a random word ({r0['train']} training / {r0['test']} test texts "
                      f"per seed); the head is a linear layer on mean-pooled MiniLM states in every setting.",
                      f"Encoder: {'MiniLM with all its ' + str(layers) + ' layers' if not cfg['layers'] else f'the first {layers} layers of MiniLM (pretrained weights, the rest dropped for speed)'}; "
                      f"head only trains on the frozen encoder's features, computed once.",
                      "± is the standard error of the pooled test accuracy."],
            "data_hash": "+".join(sorted({r["data_hash"] for r in per}))}
