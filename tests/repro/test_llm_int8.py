import copy

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
    assert err(mixed) < 0.05
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


def test_injected_outliers_preserve_the_function_and_quantized_model_tracks_it():
    model = _tiny_bert()
    ids = torch.randint(0, 50, (3, 12))
    with torch.no_grad():
        ref = model(input_ids=ids).last_hidden_state
        inj = copy.deepcopy(model)
        Q.inject_outliers(inj, dims=2, scale=50.0, seed=0)
        assert (inj(input_ids=ids).last_hidden_state - ref).abs().max() < 1e-4
        q = copy.deepcopy(inj)
        Q.quantize_model(q, "llm_int8", 6.0)
        a = copy.deepcopy(inj)
        Q.quantize_model(a, "absmax")
        cos = lambda m: torch.nn.functional.cosine_similarity(m(input_ids=ids).last_hidden_state.flatten(1), ref.flatten(1)).min()  # noqa: E731
        assert cos(q) > 0.99
        assert cos(a) < cos(q)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    full, small = Q.weight_bytes(model, False), Q.weight_bytes(model, True)
    assert n_linear == 2 * 6 + 1 and 0.25 < small / full < 0.3
