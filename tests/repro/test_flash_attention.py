import pytest
import torch
import torch.nn.functional as F

from reproductions.flash_attention import _mask, _slope, flash_attention, flash_attention_forward, standard_attention


@pytest.mark.parametrize("b,h,n,d,causal,padded,block", [
    (1, 1, 1, 8, False, False, 4), (2, 3, 37, 16, False, False, 16), (1, 2, 64, 32, True, False, 64),
    (2, 2, 100, 32, True, True, 13), (3, 1, 50, 64, False, True, 128), (1, 4, 129, 16, True, False, 32)])
def test_tiled_equals_naive_and_sdpa(b, h, n, d, causal, padded, block):
    g = torch.Generator().manual_seed(n)
    q, k, v = (torch.randn(b, h, n, d, generator=g) for _ in range(3))
    kpm = None
    if padded:
        lengths = torch.tensor([max(1, n - 7 * i) for i in range(b)])
        kpm = torch.arange(n)[None, :] < lengths[:, None]
    ref = standard_attention(q, k, v, causal, kpm)
    out = flash_attention(q, k, v, causal, kpm, block, block)
    assert (out - ref).abs().max().item() < 1e-5
    sdpa = F.scaled_dot_product_attention(q, k, v, attn_mask=_mask(n, n, causal, kpm, q.device))
    assert (out - sdpa).abs().max().item() < 1e-5
    # the log-sum-exp the backward pass relies on
    _, lse = flash_attention_forward(q, k, v, causal, kpm, block, block)
    s = (q @ k.transpose(-2, -1)) / d ** 0.5
    m = _mask(n, n, causal, kpm, q.device)
    if m is not None:
        s = s.masked_fill(~m, float("-inf"))
    assert torch.allclose(lse, torch.logsumexp(s, -1), atol=1e-4)


@pytest.mark.parametrize("causal,block_q,block_k", [(False, 16, 16), (True, 32, 32), (True, 16, 16)])
def test_backward_matches_autograd_of_naive(causal, block_q, block_k):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 2, 48, 16, generator=g, requires_grad=True) for _ in range(3))
    do = torch.randn(2, 2, 48, 16, generator=g)
    ref = torch.autograd.grad(standard_attention(q, k, v, causal), (q, k, v), do)
    got = torch.autograd.grad(flash_attention(q, k, v, causal, None, block_q, block_k), (q, k, v), do)
    for a, b in zip(ref, got):
        assert (a - b).abs().max().item() < 1e-4


def test_a_wrong_rescale_fails_the_same_exactness_check(monkeypatch):
    """The implementation itself, with its per-tile update swapped for one that forgets the
    e^(m_old - m_new) rescale, fails the check that the real one passes (single tile: no effect)."""
    import reproductions.flash_attention as fa

    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(1, 2, 64, 8, generator=g) * 3 for _ in range(3))
    ref = standard_attention(q, k, v)
    assert (flash_attention_forward(q, k, v, block_q=16, block_k=16)[0] - ref).abs().max() < 1e-5
    monkeypatch.setattr(fa, "online_softmax_step", fa.no_rescale_step)
    assert (flash_attention(q, k, v, block_q=16, block_k=16) - ref).abs().max() > 1e-2
    assert (flash_attention(q, k, v, block_q=64, block_k=64) - ref).abs().max() < 1e-5  # one tile: nothing to rescale


def test_standard_attention_holds_s_and_p_and_nothing_more():
    """Algorithm 0 keeps S and P (N x N each); a third N x N tensor (nan_to_num, an out-of-place
    scale) would inflate the baseline the memory claim is measured against."""
    from reproductions.flash_attention import _measure

    rows = _measure("standard", [512, 1024], 4, 16, 64)
    nn_bytes = 4 * 4 * 1024 * 1024  # one N x N float32 matrix over 4 heads at N = 1024
    assert 1.6 * nn_bytes < rows[-1]["extra_bytes"] < 2.6 * nn_bytes  # S and P: two, not three


def test_untiled_attention_passes_exactness_but_fails_the_memory_claim():
    """A single N x N tile computes the same attention, so only the memory check can tell it from
    Algorithm 1: measured in fresh processes, tiled grows ~N, untiled ~N^2 like standard."""
    from reproductions.flash_attention import _measure, memory_holds

    lengths = [256, 512, 1024]
    mem = {m: [r["extra_bytes"] for r in _measure(m, lengths, 4, 16, 128)] for m in ("standard", "flash", "untiled")}
    tiled, untiled = memory_holds(lengths, mem["standard"], mem["flash"]), memory_holds(lengths, mem["standard"], mem["untiled"])
    assert tiled[:2] == (True, True), (tiled, mem)
    assert untiled[:2] == (False, False), (untiled, mem)


def test_fully_masked_rows_give_zero():
    q, k, v = (torch.randn(1, 1, 8, 4) for _ in range(3))
    kpm = torch.zeros(1, 8, dtype=torch.bool)
    assert flash_attention(q, k, v, key_padding_mask=kpm, block_q=4, block_k=4).abs().max() == 0


def test_growth_exponent_fit():
    assert abs(_slope([1, 2, 4, 8], [3, 12, 48, 192]) - 2) < 1e-9
    assert abs(_slope([1, 2, 4, 8], [5, 10, 20, 40]) - 1) < 1e-9
