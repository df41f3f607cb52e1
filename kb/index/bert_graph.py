"""A BERT sentence encoder written out as an ONNX graph straight from its safetensors weights.

What sentence-transformers computes for all-MiniLM-L6-v2 (Transformer → mean Pooling →
Normalize), built in well under a second with neither torch nor transformers imported. The
torch export (kb.index.onnx_model) needs both: 9–14 s and 850 MB on a first `kb index` of 2
cores. The graph has the same loose ops as that export (onnxruntime fuses LayerNorm, Gelu and
the MatMul pairs when it loads either), so it encodes as fast.

References, by the step each one names below:
- BERT: Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language
  Understanding", §3 "Input/Output Representations" and Figure 2 (a token's input is the sum
  of its token, segment and position embeddings) and Appendix A.2 (gelu, not relu).
- The Transformer encoder layer: Vaswani et al. 2017, "Attention Is All You Need", §3.1 (each
  sub-layer's output is LayerNorm(x + Sublayer(x))), §3.2.1 Eq. (1) (scaled dot-product
  attention), §3.2.2 (multi-head attention), §3.3 Eq. (2) (the position-wise feed-forward net).
- Pooling: Reimers & Gurevych 2019, "Sentence-BERT", §3 (the MEAN strategy).

Only what `supports()` accepts is built: a BERT with absolute positions, exact gelu and exactly
the expected weights; anything else is exported through torch as before. Whatever is built is
checked against sentence-transformers' own vectors before it is used (kb.index.onnx_model).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "model.safetensors"
OPSET = 17  # LayerNormalization is an operator from 17 on
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def supports(folder: Path) -> bool:
    """Whether the folder's Transformer is a BERT this module writes exactly."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(config, dict) and config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute" and not config.get("is_decoder")
            and (folder / WEIGHTS).is_file())


def build(folder: Path, dest: Path, *, normalize: bool) -> None:
    """Write the graph to `dest`: inputs INPUTS (int64, batch × tokens), output "embedding"
    (float32, batch × hidden), the mean of the unmasked tokens' last hidden states (→ unit length)."""
    import onnx
    from safetensors import safe_open

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    g = _Graph()
    # Read a tensor at a time (the file is memory-mapped): only the graph holds the weights.
    with safe_open(str(folder / WEIGHTS), framework="np") as checkpoint:
        weights = _Weights(checkpoint, g)
        hidden = _encoder(g, weights, config)
        g.output(_mean_pooling(g, hidden, normalize))
        weights.check_all_used()
    # onnxruntime validates the graph as it loads it (the export is checked right after).
    onnx.save_model(g.model(opset=OPSET), str(dest))


def _encoder(g: _Graph, w: _Weights, config: dict) -> str:
    heads = int(config["num_attention_heads"])
    size = int(config["hidden_size"])
    eps = float(config["layer_norm_eps"])
    ids, mask, types = INPUTS

    # BERT §3, Input/Output Representations (Figure 2): a token's input is its word piece's, its
    # segment's and its position's embeddings summed; the implementation then layer-normalises it.
    length = g.op("Gather", g.op("Shape", ids), g.const(np.array(1, np.int64)), axis=0)
    positions = g.op("Range", g.const(np.array(0, np.int64)), length, g.const(np.array(1, np.int64)))
    x = g.op("Add", g.op("Add", g.op("Gather", w.take("embeddings.word_embeddings.weight"), ids),
                         g.op("Gather", w.take("embeddings.position_embeddings.weight"), positions)),
             g.op("Gather", w.take("embeddings.token_type_embeddings.weight"), types))
    x = _layer_norm(g, w, "embeddings.LayerNorm", x, eps)
    w.skip("embeddings.position_ids")  # a buffer (0..511), not a weight

    # Padding is masked out of every key: its score gets float32's lowest value added, so its
    # softmax weight is 0 (transformers adds the same; batch × 1 × 1 × tokens, for every head).
    present = g.op("Cast", mask, to=1)  # FLOAT
    blocked = g.op("Mul", g.op("Sub", g.const(np.array(1.0, np.float32)), present),
                   g.const(np.array(np.finfo(np.float32).min, np.float32)))
    blocked = g.op("Unsqueeze", blocked, g.const(np.array([1, 2], np.int64)))

    for i in range(int(config["num_hidden_layers"])):
        x = _layer(g, w, f"encoder.layer.{i}", x, blocked, heads, size, eps)
    for name in list(w.left()):
        if name.startswith("pooler."):  # BERT's [CLS] pooler: sentence-transformers pools itself
            w.skip(name)
    return x


def _layer(g: _Graph, w: _Weights, prefix: str, x: str, blocked: str, heads: int, size: int, eps: float) -> str:
    """One encoder layer: multi-head self-attention, then the feed-forward net, each inside a
    residual connection followed by LayerNorm (Vaswani et al. §3.1)."""
    depth = size // heads
    split = g.const(np.array([0, 0, heads, depth], np.int64))  # 0: keep that dimension

    def heads_of(name: str, perm: list[int]) -> str:
        # batch × tokens × size → batch × heads × tokens × depth (keys: × depth × tokens, for QKᵀ)
        return g.op("Transpose", g.op("Reshape", _linear(g, w, f"{prefix}.attention.self.{name}", x), split), perm=perm)

    q, k_t, v = heads_of("query", [0, 2, 1, 3]), heads_of("key", [0, 2, 3, 1]), heads_of("value", [0, 2, 1, 3])
    # §3.2.1 Eq. (1): softmax(QKᵀ / √d_k) V, per head (§3.2.2), with the padding blocked.
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k_t), g.const(np.array(1 / np.sqrt(depth), np.float32))), blocked)
    attended = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    # The heads concatenated again (§3.2.2), then the output projection W^O.
    joined = g.op("Reshape", g.op("Transpose", attended, perm=[0, 2, 1, 3]), g.const(np.array([0, 0, size], np.int64)))
    x = _layer_norm(g, w, f"{prefix}.attention.output.LayerNorm",
                    g.op("Add", _linear(g, w, f"{prefix}.attention.output.dense", joined), x), eps)
    # §3.3 Eq. (2), with BERT's gelu in place of ReLU (BERT, Appendix A.2).
    inner = _gelu(g, _linear(g, w, f"{prefix}.intermediate.dense", x))
    return _layer_norm(g, w, f"{prefix}.output.LayerNorm", g.op("Add", _linear(g, w, f"{prefix}.output.dense", inner), x), eps)


def _linear(g: _Graph, w: _Weights, prefix: str, x: str) -> str:
    """x Wᵀ + b, with Wᵀ stored as the initializer (torch keeps W as out × in)."""
    return g.op("Add", g.op("MatMul", x, g.const(np.ascontiguousarray(w.get(f"{prefix}.weight").T))), w.take(f"{prefix}.bias"))


def _layer_norm(g: _Graph, w: _Weights, prefix: str, x: str, eps: float) -> str:
    return g.op("LayerNormalization", x, w.take(f"{prefix}.weight"), w.take(f"{prefix}.bias"), axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """The exact gelu, x · Φ(x) = x · ½(1 + erf(x / √2)), in the form onnxruntime fuses into one Gelu."""
    erf = g.op("Erf", g.op("Div", x, g.const(np.array(np.sqrt(2.0), np.float32))))
    return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.const(np.array(1.0, np.float32)))), g.const(np.array(0.5, np.float32)))


def _mean_pooling(g: _Graph, hidden: str, normalize: bool) -> str:
    """Sentence-BERT §3, MEAN: the average of the tokens' vectors, padding left out (→ unit length,
    sentence-transformers' Normalize: x / max(‖x‖, 1e-12), as torch's F.normalize)."""
    present = g.op("Unsqueeze", g.op("Cast", INPUTS[1], to=1), g.const(np.array([2], np.int64)))
    axis = g.const(np.array([1], np.int64))
    total = g.op("ReduceSum", g.op("Mul", hidden, present), axis, keepdims=0)
    count = g.op("Max", g.op("ReduceSum", present, axis, keepdims=0), g.const(np.array(1e-9, np.float32)))
    mean = g.op("Div", total, count)
    if not normalize:
        return mean
    norm = g.op("ReduceL2", mean, axes=[1], keepdims=1)
    return g.op("Div", mean, g.op("Max", norm, g.const(np.array(1e-12, np.float32))))


class _Weights:
    """The checkpoint's tensors by name; build() fails unless every one was used (or skipped
    with a reason), so a checkpoint with parts this module does not know is never half-read."""

    def __init__(self, checkpoint: Any, graph: _Graph):
        self.checkpoint = checkpoint
        self.names = set(checkpoint.keys())
        self.graph = graph
        self.used: set[str] = set()

    def get(self, name: str) -> np.ndarray:
        if name not in self.names:
            raise ValueError(f"the checkpoint has no {name}")
        self.used.add(name)
        return self.checkpoint.get_tensor(name)

    def take(self, name: str) -> str:
        """The tensor as an initializer of the graph, under its own name."""
        return self.graph.const(self.get(name).astype(np.float32, copy=False), name)

    def skip(self, name: str) -> None:
        self.used.add(name)

    def left(self) -> set[str]:
        return self.names - self.used

    def check_all_used(self) -> None:
        if self.left():
            raise ValueError(f"the checkpoint has tensors this graph does not use: {sorted(self.left())[:5]}")


class _Graph:
    """Nodes and initializers, each node's output named after it."""

    def __init__(self) -> None:
        from onnx import helper

        self.helper = helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def const(self, array: np.ndarray, name: str | None = None) -> str:
        from onnx import numpy_helper

        self.count += 1
        name = name or f"const_{self.count}"
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        self.count += 1
        out = f"{op_type}_{self.count}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attributes))
        return out

    def output(self, name: str) -> None:
        self.nodes.append(self.helper.make_node("Identity", [name], ["embedding"]))

    def model(self, opset: int) -> Any:
        from onnx import TensorProto

        h = self.helper
        inputs = [h.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in INPUTS]
        outputs = [h.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", None])]
        graph = h.make_graph(self.nodes, "sentence_encoder", inputs, outputs, self.initializers)
        return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name="paper-kb")

