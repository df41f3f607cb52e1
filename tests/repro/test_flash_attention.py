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


def test_a_wrong_rescale_would_be_caught():
    """The test above can fail: tiles without the online-softmax correction differ from attention."""
    q, k, v = (torch.randn(1, 1, 64, 8) * 3 for _ in range(3))
    blocks = [torch.softmax(q @ k[..., j:j + 16, :].transpose(-2, -1) / 8 ** 0.5, -1) @ v[..., j:j + 16, :] for j in range(0, 64, 16)]
    naive_average = sum(blocks) / 4
    assert (naive_average - standard_attention(q, k, v)).abs().max() > 1e-2


def test_fully_masked_rows_give_zero():
    q, k, v = (torch.randn(1, 1, 8, 4) for _ in range(3))
    kpm = torch.zeros(1, 8, dtype=torch.bool)
    assert flash_attention(q, k, v, key_padding_mask=kpm, block_q=4, block_k=4).abs().max() == 0


def test_growth_exponent_fit():
    assert abs(_slope([1, 2, 4, 8], [3, 12, 48, 192]) - 2) < 1e-9
    assert abs(_slope([1, 2, 4, 8], [5, 10, 20, 40]) - 1) < 1e-9
