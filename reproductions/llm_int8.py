"""LLM.int8() (Dettmers et al. 2022, arXiv 2208.07339) applied to every linear layer of MiniLM.

Claim checked: vector-wise int8 quantisation (Section 3.2: a scale per row of the activations X
and per column of W) with the mixed-precision decomposition (Section 3.3: feature dimensions
where any |x| >= 6.0 stay in floating point) keeps the model's outputs (embedding cosine >= 0.99
to the float model, downstream accuracy unchanged) at about a quarter of the fp32 weight memory,
while plain per-tensor absmax int8 (Section 2) degrades, and degrades badly once large-magnitude
outlier features are present (Section 4).

MiniLM is small; its natural activations are checked first. Then we inject outlier features
function-preservingly, as large models grow them: in every layer, a few feature dimensions of
the value projection are multiplied by a factor and the matching input columns of the attention
output projection divided by it. The float model computes exactly the same function (the
attention mix is linear in V), but the output projection now sees inputs with |x| in the tens.

The paper's own implementation, bitsandbytes' `Linear8bitLt`, runs the same models when it is
installed, on the run's device (CPU or CUDA), as a check of this plain-PyTorch one.
"""

from __future__ import annotations

from reproductions.registry import Param, Preset, ReproSpec

SPEC = ReproSpec(
    name="llm-int8",
    title="LLM.int8(): vector-wise int8 with mixed-precision outlier decomposition",
    paper="2208.07339",
    paper_title="LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale",
    claim="Vector-wise int8 with the |x| >= 6 outlier decomposition matches the float model's outputs at ~1/4 of the "
          "weight memory, while per-tensor absmax int8 degrades badly once outlier features are present.",
    module=__name__,
    params=(
        Param("threshold", float, 6.0, "outlier threshold alpha of Section 3.3", 0.1, 1000.0),
        Param("outlier_dims", int, 4, "feature dimensions per layer given injected outliers", 0, 64),
        Param("outlier_scale", float, 60.0, "factor of the injected outliers", 1.0, 1000.0),
        Param("sentences", int, 128, "pydoc passages for the embedding comparison", 8, 2000),
        Param("per_class", int, 100, "docstrings per class for the task accuracy", 10, 1000),
        Param("max_length", int, 64, "tokens per text", 8, 256),
        Param("model", str, "", "a local folder or Hugging Face name (default: the bundled all-MiniLM-L6-v2)"),
    ),
    presets=(
        Preset("tiny", 20, {"sentences": 16, "per_class": 12, "max_length": 32}),
        Preset("quick", 90, {"sentences": 64, "per_class": 60, "max_length": 48}),
        Preset("full", 120, {"sentences": 1000, "per_class": 400, "max_length": 128}, gpu=True),
    ),
    keywords=("llm.int8", "int8", "8-bit", "8bit", "量化", "quantization", "quantisation", "bitsandbytes"),
)


def absmax_quantize(x, dim=None):
    """Section 2.1: x_i8 = round(127 / absmax(x) * x); per tensor (dim=None) or per row/column."""
    import torch

    amax = x.abs().amax() if dim is None else x.abs().amax(dim=dim, keepdim=True)
    scale = 127.0 / amax.clamp(min=1e-8)
    return torch.round(x * scale).clamp(-127, 127).to(torch.int8), scale


def int8_matmul(xq, wq):
    """X_i8 W_i8^T accumulated exactly in int32: torch's int8 GEMM on a GPU; on a CPU an int32
    matmul (torch._int_mm runs on CPU too, but ~10x slower than this)."""
    import torch

    if xq.is_cuda:
        try:
            return torch._int_mm(xq, wq.t().contiguous())
        except RuntimeError:  # shapes the kernel does not take (rows <= 16, ...)
            pass
    # CPU: float32 holds every integer below 2^24 exactly, and a dot product of 1024 int8 pairs
    # stays below 1024 * 127^2 < 2^24, so chunks of 1024 are exact; the chunk sums add in int32.
    out = None
    for k0 in range(0, xq.shape[1], 1024):
        part = (xq[:, k0:k0 + 1024].float() @ wq[:, k0:k0 + 1024].float().t()).to(torch.int32)
        out = part if out is None else out + part
    return out


def linear_absmax(x2, w, b):
    """Per-tensor absmax (Section 2.1): one scale for all of X, one for all of W."""
    xq, sx = absmax_quantize(x2)
    wq, sw = absmax_quantize(w)
    out = int8_matmul(xq, wq).float() / (sx * sw)  # dequantise: C_i32 / (s_x s_w)
    return out + b if b is not None else out


def linear_vectorwise(x2, w, b, wq=None, sw=None):
    """Section 3.2: row-wise scales c_x for X (per token), column-wise c_w for W (per output feature);
    C_f16 = (1 / (c_x ⊗ c_w)) * C_i32 (eq. 5)."""
    xq, sx = absmax_quantize(x2, dim=1)  # (tokens, 1)
    if wq is None:
        wq, sw = absmax_quantize(w, dim=1)  # W is (out, in): one scale per output feature
    out = int8_matmul(xq, wq).float() / (sx * sw.t())
    return out + b if b is not None else out


def linear_llm_int8(x2, w, b, threshold: float, stats: dict | None = None):
    """Section 3.3, eq. 6: XW = sum_{h in O} X_h W_h (float) + S * sum_{h not in O} X_i8h W_i8h.
    O = the feature dimensions (columns of X) holding any |value| >= threshold."""
    outlier = (x2.abs() >= threshold).any(dim=0)  # the set O of outlier feature dimensions
    if stats is not None:
        stats["outlier_dims"] = stats.get("outlier_dims", 0) + int(outlier.sum())
        stats["layers_with_outliers"] = stats.get("layers_with_outliers", 0) + int(bool(outlier.any()))
        stats["calls"] = stats.get("calls", 0) + 1
    regular = ~outlier
    out = linear_vectorwise(x2[:, regular], w[:, regular], b)  # the 99.9% in int8
    if outlier.any():
        out = out + x2[:, outlier] @ w[:, outlier].t()  # the few outlier dimensions in float
    return out


def quantize_model(model, mode: str, threshold: float = 6.0, stats: dict | None = None) -> None:
    """Replace the forward of every nn.Linear (in place) by an int8 version: absmax | vectorwise | llm_int8."""
    import torch

    for name, lin in model.named_modules():
        if not isinstance(lin, torch.nn.Linear):
            continue

        def forward(x, lin=lin):
            x2 = x.reshape(-1, x.shape[-1]).float()
            w = lin.weight.float()
            if mode == "absmax":
                y = linear_absmax(x2, w, lin.bias)
            elif mode == "vectorwise":
                y = linear_vectorwise(x2, w, lin.bias)
            else:
                y = linear_llm_int8(x2, w, lin.bias, threshold, stats)
            return y.reshape(*x.shape[:-1], w.shape[0]).to(x.dtype)

        lin.forward = forward


def to_bitsandbytes(lin, threshold: float, device: str):
    """The paper's own LLM.int8() layer, bitsandbytes' Linear8bitLt, with `lin`'s weights. Moving it
    to the device quantises W (via fp16, one scale per output row, Section 3.2); no float W is kept."""
    import logging

    import bitsandbytes as bnb

    # It warns on every call that X is cast to fp16 for quantisation: by design (the notes say so).
    logging.getLogger("bitsandbytes.autograd._functions").setLevel(logging.ERROR)
    q = bnb.nn.Linear8bitLt(lin.in_features, lin.out_features, bias=lin.bias is not None,
                            has_fp16_weights=False, threshold=threshold)
    q.load_state_dict(lin.state_dict())
    return q.to(device).eval()  # in training mode bnb's CPU path dequantises W and runs a float matmul


def quantize_model_bitsandbytes(model, threshold: float, device: str):
    """Every nn.Linear replaced by Linear8bitLt (threshold 0: no decomposition, Section 3.2 only);
    returns the model on `device` with fp32 activations, as `quantize_model` keeps them."""
    import torch

    for name, lin in [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]:
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent), child, to_bitsandbytes(lin, threshold, device))
    return model.to(device).eval()


def weight_bytes(model, int8: bool) -> int:
    """Linear weights as stored: fp32, or int8 plus one fp32 scale per output feature (Section 3.2)."""
    import torch

    total = 0
    for lin in model.modules():
        if isinstance(lin, torch.nn.Linear):
            n_out, n_in = lin.weight.shape
            total += n_out * n_in * (1 if int8 else 4) + (n_out * 4 if int8 else 0)
    return total


def inject_outliers(model, dims: int, scale: float, seed: int) -> None:
    """Function-preserving outliers: V's output features h scaled by `scale` (weights and bias),
    the attention output projection's input columns h divided by it. softmax(QK^T) V is linear in V."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.encoder.layer:
            value, out = layer.attention.self.value, layer.attention.output.dense
            h = torch.randperm(value.weight.shape[0], generator=g)[:dims]
            value.weight[h] *= scale
            value.bias[h] *= scale
            out.weight[:, h] /= scale


def _embed(model, tok, texts, max_length, batch=32):
    import torch

    outs, device = [], next(model.parameters()).device
    with torch.no_grad():
        for i in range(0, len(texts), batch):
            enc = tok(texts[i:i + batch], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items()}
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            emb = (hidden * mask).sum(1) / mask.sum(1)  # mean pooling, as sentence-transformers does
            outs.append(torch.nn.functional.normalize(emb.float(), dim=-1).cpu())
    return torch.cat(outs)


def _linear_inputs(model, tok, texts, max_length) -> dict:
    """name -> the (tokens, features) input of every nn.Linear on `texts` (at most one batch)."""
    import torch

    seen = {}  # update() returns None: a forward hook's return value would replace the layer's output
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: seen.update({n: i[0].reshape(-1, i[0].shape[-1]).clone()}))
             for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    _embed(model, tok, texts, max_length)
    for h in hooks:
        h.remove()
    return seen


def _compare_layer(model, inputs: dict, threshold: float, device: str) -> dict:
    """Ours vs Linear8bitLt on the layer whose real input has the largest |x| (eq. 6 at its hardest)."""
    import torch

    name = max(inputs, key=lambda n: inputs[n].abs().max().item())
    lin, x = model.get_submodule(name), inputs[name]
    with torch.no_grad():
        exact, ours = lin(x), linear_llm_int8(x, lin.weight, lin.bias, threshold)
        theirs = to_bitsandbytes(lin, threshold, device)(x.to(device)).float().cpu()
    return {"layer": name, "max_abs_input": x.abs().max().item(), "max_abs_output": exact.abs().max().item(),
            "ours_err": (ours - exact).abs().max().item(), "bnb_err": (theirs - exact).abs().max().item(),
            "ours_vs_bnb": (ours - theirs).abs().max().item()}


def run(cfg: dict, ctx) -> dict:
    import copy

    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from reproductions import data, encoder as encoders

    tok = encoders.load_tokenizer(cfg["model"])
    base = encoders.load_model(cfg["model"]).eval()
    passages, h1 = data.pydoc_topics(cfg["sentences"])
    texts, labels, classes, h2 = data.stdlib_docstrings(per_class=cfg["per_class"], seed=ctx.seed)
    train, test = data.split(len(texts), 0.3, ctx.seed)
    y = np.array(labels)
    ml = cfg["max_length"]
    inputs = _linear_inputs(base, tok, passages[:16], ml)
    peaks = [x.abs().max().item() for x in inputs.values()]
    max_act, layers_over = max(peaks), sum(1 for v in peaks if v >= 6.0)
    n_linear = sum(1 for m in base.modules() if isinstance(m, torch.nn.Linear))
    ctx.log(f"natural activations: max |x| = {max_act:.1f}; {layers_over} of {n_linear} linear inputs reach 6.0")

    injected = copy.deepcopy(base)
    inject_outliers(injected, cfg["outlier_dims"], cfg["outlier_scale"], ctx.seed)
    inputs_inj = _linear_inputs(injected, tok, passages[:16], ml)
    max_act_inj = max(x.abs().max().item() for x in inputs_inj.values())

    try:  # optional: when it is missing or fails on this device, the claim row says why
        import bitsandbytes

        bnb_version, bnb_why = bitsandbytes.__version__, None
    except (ImportError, OSError, RuntimeError) as exc:  # not installed, or no native library here
        bnb_version, bnb_why = None, f"bitsandbytes does not import: {type(exc).__name__}: {exc}"
    modes = ("fp32", "absmax", "vectorwise", "llm_int8") + (("bnb",) if bnb_why is None else ())
    results: dict[str, dict] = {}
    embs: dict = {}  # passage embeddings, for ours vs bnb
    variants = [(w, m) for w in ("natural", "injected") for m in modes]
    for step, (which, mode) in enumerate(variants, 1):
        if mode == "bnb" and bnb_why is not None:
            continue
        model = copy.deepcopy(base if which == "natural" else injected)
        stats: dict = {}
        try:
            if mode == "bnb":
                model = quantize_model_bitsandbytes(model, cfg["threshold"], ctx.device)
            else:
                model = model.to(ctx.device)  # on a GPU, int8_matmul uses torch's int8 GEMM (torch._int_mm)
                if mode != "fp32":
                    quantize_model(model, mode, cfg["threshold"], stats)
            emb_p = embs[f"{which}_{mode}"] = _embed(model, tok, passages, ml)
            emb_t = _embed(model, tok, texts, ml).numpy()
        except Exception as exc:
            if mode != "bnb":
                raise
            bnb_why = f"Linear8bitLt fails on {ctx.device}: {type(exc).__name__}: {exc}"  # the other claims stand
            ctx.log(bnb_why)
            continue
        if mode == "fp32":
            ref_p = emb_p
            clf = LogisticRegression(max_iter=2000).fit(emb_t[train], y[train])  # trained on float embeddings only
        cos = torch.nn.functional.cosine_similarity(emb_p, ref_p).mean().item()
        acc = float((clf.predict(emb_t[test]) == y[test]).mean())
        results[f"{which}_{mode}"] = {"cosine": cos, "accuracy": acc,
                                      "outlier_dims_per_call": stats.get("outlier_dims", 0) / max(stats.get("calls", 1), 1)}
        ctx.progress(step, len(variants), {"cosine": cos, "accuracy": acc}, f"{which} {mode}: cos {cos:.4f} acc {acc:.3f}", "evaluate")

    fp32_bytes, int8_bytes = weight_bytes(base, False), weight_bytes(base, True)
    mem_ratio = int8_bytes / fp32_bytes
    r = results
    acc_drop = max(r["natural_fp32"]["accuracy"] - r["natural_llm_int8"]["accuracy"],
                   r["injected_fp32"]["accuracy"] - r["injected_llm_int8"]["accuracy"])
    held_match = min(r["natural_llm_int8"]["cosine"], r["injected_llm_int8"]["cosine"]) >= 0.99 and acc_drop <= 0.02
    held_absmax = r["injected_absmax"]["cosine"] < r["injected_llm_int8"]["cosine"] - 0.05
    held_mem = mem_ratio <= 0.3
    both = ("natural", "injected")
    fmt = lambda k: f"cos {r[k]['cosine']:.4f}, acc {r[k]['accuracy']:.1%}"  # noqa: E731
    if bnb_why is None:
        # bnb keeps no float W: its eq. 6 outlier columns use the int8 W dequantised (ours: fp32 W). The
        # injected columns are W / scale, which row-wise int8 barely resolves, so bnb trails there.
        layer = {w: _compare_layer(m, i, cfg["threshold"], ctx.device)
                 for w, m, i in (("natural", base, inputs), ("injected", injected, inputs_inj))}
        agree = {w: torch.nn.functional.cosine_similarity(embs[f"{w}_llm_int8"], embs[f"{w}_bnb"]).mean().item() for w in both}
        gap = max(abs(r[f"{w}_llm_int8"]["cosine"] - r[f"{w}_bnb"]["cosine"]) for w in both)
        held_bnb = gap <= 0.005 and min(r[f"{w}_{m}"]["cosine"] for w in both for m in ("llm_int8", "bnb")) >= 0.99
        n_, i_ = layer["natural"], layer["injected"]
        bnb_measured = (f"bnb {fmt('natural_bnb')} / {fmt('injected_bnb')}; ours vs bnb embeddings cos {agree['natural']:.4f} / "
                        f"{agree['injected']:.4f}; largest-|x| layer max |diff| {n_['ours_vs_bnb']:.3f} / {i_['ours_vs_bnb']:.3f}"
                        f" (error vs fp32: ours {n_['ours_err']:.3f} / {i_['ours_err']:.3f}, bnb {n_['bnb_err']:.3f} / "
                        f"{i_['bnb_err']:.3f})")
    else:
        held_bnb, bnb_measured = None, f"not compared: {bnb_why}"
    metrics = {k + "_" + m: round(v[m], 5) for k, v in r.items() for m in ("cosine", "accuracy")}
    metrics.update({"weight_memory_ratio": round(mem_ratio, 4), "fp32_weight_MiB": round(fp32_bytes / 2**20, 2),
                    "int8_weight_MiB": round(int8_bytes / 2**20, 2), "natural_max_abs_activation": round(max_act, 2),
                    "natural_linear_inputs_over_threshold": layers_over, "linear_layers": n_linear,
                    "injected_max_abs_activation": round(max_act_inj, 2),
                    "llm_int8_outlier_dims_per_layer_natural": round(r["natural_llm_int8"]["outlier_dims_per_call"], 2),
                    "llm_int8_outlier_dims_per_layer_injected": round(r["injected_llm_int8"]["outlier_dims_per_call"], 2),
                    "bitsandbytes_version": bnb_version})
    for w in both if bnb_why is None else ():
        metrics[f"ours_vs_bnb_embedding_cosine_{w}"] = round(agree[w], 6)
        metrics.update({f"ours_vs_bnb_layer_{w}_{k}": round(v, 5) if isinstance(v, float) else v for k, v in layer[w].items()})
    claims = [
        {"check": "LLM.int8() matches fp32 (natural / injected outliers)", "paper": "no degradation",
         "measured": f"{fmt('natural_llm_int8')} / {fmt('injected_llm_int8')} (fp32 acc {r['natural_fp32']['accuracy']:.1%})",
         "held": held_match},
        {"check": "per-tensor absmax int8 (natural / injected)", "paper": "degrades with outliers",
         "measured": f"{fmt('natural_absmax')} / {fmt('injected_absmax')}", "held": held_absmax},
        {"check": "vector-wise int8 without decomposition (natural / injected)", "paper": "better, still hurt by outliers",
         "measured": f"{fmt('natural_vectorwise')} / {fmt('injected_vectorwise')}", "held": None},
        {"check": "linear weight memory vs fp32", "paper": "~1/4 (int8 vs fp32)",
         "measured": f"{int8_bytes / 2**20:.1f} / {fp32_bytes / 2**20:.1f} MiB = {mem_ratio:.3f}", "held": held_mem},
        {"check": "natural outliers in MiniLM", "paper": "appear at scale (6.7B)",
         "measured": f"max |x| {max_act:.1f}; {layers_over}/{n_linear} linear inputs >= 6; injected max {max_act_inj:.0f}",
         "held": None},
        {"check": "ours vs bitsandbytes Linear8bitLt (natural / injected)", "paper": "the paper's library, same method",
         "measured": bnb_measured, "held": held_bnb},
    ]
    notes = ["Outliers were injected function-preservingly (V rows x scale, attention-output columns / scale) for the 'injected' rows.",
             "Task: logistic regression fit on float embeddings of stdlib docstrings, evaluated on each variant's embeddings.",
             "Our int8 variants run on " + ctx.device + " with fp32 activations (int8 products accumulated exactly in int32)."
             + (f" The *_bnb rows are bitsandbytes {bnb_version} Linear8bitLt (has_fp16_weights=False, threshold "
                f"{cfg['threshold']:g}) on {ctx.device}, fp32 activations in and out: the library rounds X and W to fp16 "
                "before int8 quantisation and adds the outlier columns with its int8 W dequantised"
                + (", and its CUDA kernel dequantises the int32 product to fp16." if ctx.device == "cuda" else ".")
                if bnb_why is None else f" bitsandbytes was not compared: {bnb_why}")]
    return {"passed": bool(held_match and held_absmax and held_mem), "metrics": metrics, "claims": claims, "notes": notes,
            "data_hash": f"{h1}+{h2}"}
