import copy

import pytest
import torch

from reproductions import llm_int8 as Q


def test_vectorwise_round_trip_error_is_within_half_a_step():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 64, generator=g) * torch.linspace(0.1, 5, 32)[:, None]
    xq, scale = Q.absmax_quantize(x, dim=1)
    assert xq.dtype == torch.int8 and xq.abs().max() <= 127
    err = (xq.float() / scale - x).abs()
    step = x.abs().amax(dim=1, keepdim=True) / 127
    assert (err <= step / 2 + 1e-6).all()


def test_int8_matmul_is_exact_integer_arithmetic():
    a = torch.randint(-127, 128, (5, 40), dtype=torch.int8)
    b = torch.randint(-127, 128, (7, 40), dtype=torch.int8)
    assert torch.equal(Q.int8_matmul(a, b), a.long().matmul(b.long().t()).int())


def test_outlier_dimensions_are_routed_to_float():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(16, 32, generator=g)
    x[:, 5] *= 40.0  # an outlier feature dimension (|x| >= 6)
    x[3, 9] = 7.0    # one large value makes column 9 an outlier dimension too
    w = torch.randn(8, 32, generator=g) * 0.1
    b = torch.randn(8, generator=g)
    exact = x @ w.t() + b
    stats = {}
    mixed = Q.linear_llm_int8(x, w, b, 6.0, stats)
    assert stats["outlier_dims"] == 2
    absmax = Q.linear_absmax(x, w, b)
    vectorwise = Q.linear_vectorwise(x, w, b)
    err = lambda y: (y - exact).abs().max().item()  # noqa: E731
    assert err(mixed) < 0.1  # W_O comes dequantised from int8 (as in bitsandbytes): |x| 40 times half a W step
    assert err(absmax) > 5 * err(mixed)
    assert err(vectorwise) > err(mixed)
    # no outliers: the decomposition is plain vector-wise int8
    y = torch.randn(4, 32, generator=g)
    assert torch.allclose(Q.linear_llm_int8(y, w, b, 6.0), Q.linear_vectorwise(y, w, b))


def _tiny_bert():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     max_position_embeddings=32)
    return BertModel(cfg).eval()


def _linear_inputs(model, ids):
    seen = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: seen.update({n: i[0].abs().max().item()}))
             for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    model(input_ids=ids)
    for h in hooks:
        h.remove()
    return seen


def test_injected_outliers_sit_in_the_residual_stream_and_keep_the_function():
    model = _tiny_bert()
    ids = torch.randint(0, 50, (3, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = model(input_ids=ids).last_hidden_state
        before = _linear_inputs(model, ids)
        inj = copy.deepcopy(model)
        dims = Q.inject_outliers(inj, dims=2, scale=50.0, seed=0)
        assert len(dims) == 2
        assert (inj(input_ids=ids).last_hidden_state - ref).abs().max() < 1e-4  # the same function
        after = _linear_inputs(inj, ids)
    # Section 4: the attention's Q/K/V and the FFN's input projection see the outliers...
    for name in after:
        if name.endswith(("query", "key", "value", "intermediate.dense")):
            assert after[name] > 6.0 > before[name] and after[name] > 20 * before[name] / 2, name
        else:  # ...the attention output and FFN output projections do not
            assert after[name] == pytest.approx(before[name], rel=1e-3), name


def _check(model, ref, ids, mode):
    q = Q.quantize_model(copy.deepcopy(model), mode, 6.0)
    with torch.no_grad():
        out = q(input_ids=ids).last_hidden_state
    return torch.nn.functional.cosine_similarity(out.float().flatten(1), ref.float().flatten(1)).min().item()


def test_with_outliers_llm_int8_passes_the_check_that_both_naive_variants_fail():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)  # weights large enough (init 0.1) that the layers, not the residual, shape the output
    model = BertModel(BertConfig(vocab_size=50, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                 max_position_embeddings=32, initializer_range=0.1)).eval()
    Q.inject_outliers(model, dims=2, scale=60.0, seed=0)
    model = model.to(torch.bfloat16)  # measured: llm_int8 0.997, vector-wise 0.987, absmax 0.967
    ids = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = model(input_ids=ids).last_hidden_state
    cos = {mode: _check(model, ref, ids, mode) for mode in Q.MODES}
    assert cos["llm_int8"] >= 0.99, cos
    assert cos["vectorwise"] < 0.99 and cos["absmax"] < 0.99, cos


def test_int8_weights_are_stored_once_and_memory_is_measured_from_them():
    model = _tiny_bert().to(torch.bfloat16)
    sixteen = Q.linear_bytes(model)
    q = Q.quantize_model(copy.deepcopy(model), "llm_int8", 6.0)
    lins = [m for m in q.modules() if type(m).__name__ == "Int8Linear"]
    assert len(lins) == 2 * 6 + 1 and not any(isinstance(m, torch.nn.Linear) for m in q.modules())
    assert all(m.weight_i8.dtype == torch.int8 and not list(m.parameters()) for m in lins)  # no float W kept
    stored = sum(m.weight_i8.numel() + 4 * m.weight_scale.numel() + 2 * m.bias.numel() for m in lins)
    assert Q.linear_bytes(q) == stored
    assert 0.5 < Q.linear_bytes(q) / sixteen < 0.6  # int8 + per-row fp32 scales + bf16 bias, vs bf16
    assert 0.25 < Q.linear_bytes(q) / Q.linear_bytes(_tiny_bert()) < 0.3  # vs fp32


def test_a_single_weight_scale_fails_where_a_scale_per_output_feature_passes():
    """The mutation 'one scale for all of W' (eq. 7 needs one per output feature): output features
    of very different magnitude lose the small ones to rounding."""
    g = torch.Generator().manual_seed(2)
    w = torch.randn(32, 64, generator=g) * torch.logspace(-3, 0, 32)[:, None]
    x = torch.randn(16, 64, generator=g)
    exact = x @ w.t()
    rel = lambda y: ((y - exact).norm(dim=0) / exact.norm(dim=0)).max().item()  # noqa: E731 (worst output feature)
    wq, sw = Q.quantize_weight(w)
    assert rel(Q.int8_linear(x, wq, sw)) < 0.02
    wq1, sw1 = Q.quantize_weight(w, per_tensor=True)
    assert rel(Q.int8_linear(x, wq1, sw1.expand(32, 1))) > 0.2


def _outlier_layer(seed=0):
    """A layer and inputs with three outlier feature dimensions (|x| ~ 25, Section 4's regime)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 128, generator=g)
    x[:, torch.randperm(128, generator=g)[:3]] *= 25.0
    lin = torch.nn.Linear(128, 64)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(64, 128, generator=g) * 0.05)
        lin.bias.copy_(torch.randn(64, generator=g) * 0.1)
    return lin, x


def test_ours_matches_bitsandbytes_linear8bitlt_with_outlier_columns():
    bnb = pytest.importorskip("bitsandbytes")  # a guard only: the test extra installs it, so CI runs this
    for seed in range(3):
        lin, x = _outlier_layer(seed)
        bnb6 = bnb.nn.Linear8bitLt(128, 64, has_fp16_weights=False, threshold=6.0)
        bnb6.load_state_dict(lin.state_dict())
        bnb6 = bnb6.to("cpu").eval()  # .to() quantises W to int8
        with torch.no_grad():
            exact = lin(x)
            ours = Q.linear_llm_int8(x, lin.weight, lin.bias, 6.0)
            theirs = bnb6(x)
        scale = exact.abs().max()
        # both take the outlier columns of W dequantised from its int8 (bnb keeps no float W; ours neither):
        # measured over seeds 0-2, ours <= 0.0065 scale; bnb's bound measured over 50 seeds, 0.0095
        assert (ours - exact).abs().max() < 0.02 * scale
        assert (theirs - exact).abs().max() < 0.02 * scale
        assert (ours - theirs).abs().max() < 0.02 * scale
        # the same set O of outlier feature dimensions (Section 3.3: any |x| >= threshold in the column)
        assert sorted(bnb6.state.idx.tolist()) == torch.nonzero((x.abs() >= 6.0).any(dim=0)).flatten().tolist()


def test_without_decomposition_both_degrade_alike_with_outliers():
    pytest.importorskip("bitsandbytes")
    lin, x = _outlier_layer(1)
    with torch.no_grad():
        exact = lin(x)
        err = lambda y: (y - exact).abs().max().item()  # noqa: E731
        ours_mixed, ours_vw = err(Q.linear_llm_int8(x, lin.weight, lin.bias, 6.0)), err(Q.linear_vectorwise(x, lin.weight, lin.bias))
        bnb_mixed, bnb_vw = err(Q.to_bitsandbytes(lin, 6.0, "cpu")(x)), err(Q.to_bitsandbytes(lin, 0.0, "cpu")(x))
    # threshold 0 turns the decomposition off: vector-wise int8 only, in both implementations
    assert ours_vw > 2.5 * ours_mixed and bnb_vw > 2 * bnb_mixed  # measured: 3.2x (ours; both dequantise W_O from int8)
    assert 0.8 < bnb_vw / ours_vw < 1.25


def test_quantize_model_bitsandbytes_tracks_our_llm_int8():
    bnb = pytest.importorskip("bitsandbytes")
    model = _tiny_bert()
    Q.inject_outliers(model, dims=2, scale=50.0, seed=0)
    ids = torch.randint(0, 50, (3, 12), generator=torch.Generator().manual_seed(0))
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    with torch.no_grad():
        ref = model(input_ids=ids).last_hidden_state
        ours = copy.deepcopy(model)
        Q.quantize_model(ours, "llm_int8", 6.0)
        theirs = Q.quantize_model_bitsandbytes(copy.deepcopy(model), 6.0, "cpu")
        lins = [m for m in theirs.modules() if isinstance(m, torch.nn.Linear)]
        assert len(lins) == n_linear and all(isinstance(m, bnb.nn.Linear8bitLt) for m in lins)
        assert all(m.weight.dtype == torch.int8 and not m.training for m in lins)  # quantised, and off bnb's training path
        cos = lambda a, b: torch.nn.functional.cosine_similarity(a.flatten(1), b.flatten(1)).min().item()  # noqa: E731
        y_ours, y_theirs = ours(input_ids=ids).last_hidden_state, theirs(input_ids=ids).last_hidden_state
        # measured: 1 - cos ~ 5e-7 for all three; weights not carried over would give cos far below
        assert cos(y_ours, ref) > 0.9999 and cos(y_theirs, ref) > 0.9999 and cos(y_ours, y_theirs) > 0.9999
