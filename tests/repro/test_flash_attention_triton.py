"""The fused Triton kernel, checked on a CPU through Triton's interpreter (CI has no GPU), and the
GPU half of the FlashAttention claim table built from measurements."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from reproductions import flash_attention as fa

pytest.importorskip("triton")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _interpreted(script: str) -> dict:
    """Run `script` in a child with TRITON_INTERPRET=1 (it must be set before triton is imported)."""
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_kernel_equals_standard_attention_over_shapes_masks_and_tiles():
    got = _interpreted("""
        import json, math, torch
        from reproductions.flash_attention import standard_attention
        from reproductions.flash_attention_triton import attention
        rows = []
        # N below, equal to and not a multiple of the tiles; tiles wider than N; causal and not.
        for b, h, n, d, causal, bm, bn in [(1, 1, 1, 16, False, 16, 16), (2, 3, 37, 16, False, 16, 16),
                                           (1, 2, 130, 32, True, 64, 32), (1, 1, 64, 64, True, 128, 64),
                                           (2, 1, 100, 128, True, 16, 64), (1, 2, 48, 32, False, 32, 16)]:
            g = torch.Generator().manual_seed(n)
            q, k, v = (torch.randn(b, h, n, d, generator=g) * 2 for _ in range(3))
            o, lse = attention(q, k, v, causal, bm, bn, return_lse=True)
            s = (q @ k.transpose(-2, -1)) / math.sqrt(d)
            if causal:
                s = s.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), float("-inf"))
            o16 = attention(q.half(), k.half(), v.half(), causal, bm, bn)
            ref = standard_attention(q, k, v, causal)
            rows.append([(o - ref).abs().max().item(), (lse - torch.logsumexp(s, -1)).abs().max().item(),
                         (o16.float() - ref).abs().max().item(), str(o16.dtype)])
        print(json.dumps(rows))
    """)
    assert len(got) == 6
    for err, lse_err, err16, dtype16 in got:
        assert err < 1e-5 and lse_err < 1e-5
        assert err16 < 1e-2 and dtype16 == "torch.float16"


def test_backward_kernels_equal_autograd_of_standard_attention():
    got = _interpreted("""
        import json, torch
        from reproductions.flash_attention import standard_attention
        from reproductions.flash_attention_triton import attention
        rows = []
        # key blocks straddling the diagonal and the end, N not a multiple of any tile
        for b, h, n, d, causal, blk in [(2, 3, 37, 16, False, 16), (1, 2, 130, 32, True, 32), (1, 1, 100, 64, True, 16),
                                        (1, 2, 70, 32, False, 64)]:
            g = torch.Generator().manual_seed(n)
            q, k, v = (torch.randn(b, h, n, d, generator=g).requires_grad_() for _ in range(3))
            do = torch.randn(b, h, n, d, generator=g)
            got = torch.autograd.grad(attention(q, k, v, causal, 32, 16, block_bwd=blk), (q, k, v), do)
            ref = torch.autograd.grad(standard_attention(q, k, v, causal), (q, k, v), do)
            rows.append([(a - c).abs().max().item() for a, c in zip(got, ref)] + [ref[0].abs().max().item()])
        print(json.dumps(rows))
    """)
    assert len(got) == 4
    for dq, dk, dv, scale in got:
        assert max(dq, dk, dv) < 1e-5 and scale > 0.1  # gradients of real size, matched to float precision


def test_kernel_with_the_rescale_removed_would_be_caught():
    """The equality above can fail: the same tiles summed without e^{m_old - m_new} are wrong."""
    got = _interpreted("""
        import importlib.util, json, os, tempfile, torch
        from reproductions.flash_attention import standard_attention
        from reproductions import flash_attention_triton as fat
        src = open(fat.__file__).read()
        broken = src.replace("acc * alpha[:, None] +", "acc +").replace("l_i * alpha +", "l_i +")
        assert broken.count("alpha") == src.count("alpha") - 2
        # triton reads a kernel's source from its file, so the broken copy needs one of its own
        path = os.path.join(tempfile.mkdtemp(), "broken_flash.py")
        open(path, "w").write(broken)
        spec = importlib.util.spec_from_file_location("broken_flash", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(1, 1, 96, 16, generator=g) * 3 for _ in range(3))
        print(json.dumps((mod.attention(q, k, v, False, 32, 16) - standard_attention(q, k, v)).abs().max().item()))
    """)
    assert got > 1e-2


def test_shapes_the_kernel_cannot_take_are_refused_clearly():
    got = _interpreted("""
        import json, torch
        from reproductions.flash_attention_triton import attention
        errors = []
        for shapes in [((1, 1, 8, 24),) * 3, ((1, 1, 8, 16), (1, 1, 9, 16), (1, 1, 9, 16)), ((8, 16),) * 3]:
            try:
                attention(*(torch.zeros(s) for s in shapes))
            except ValueError as exc:
                errors.append(str(exc))
        print(json.dumps(errors))
    """)
    assert len(got) == 3 and "head dimension 24" in got[0] and "share one" in got[1]


def test_the_reproduction_runs_the_interpreted_kernel_on_cpu():
    check = fa._triton_interpreted(seed=3)
    assert check["ran"] and check["cases"] == 4
    assert check["max_abs_err_fp32"] < 1e-5 and check["max_abs_err_fp16"] < 1e-2 and check["max_abs_err_lse"] < 1e-5
    assert check["max_abs_err_grad"] < 1e-4


def _gpu_measurements(speedup: float):
    lengths = [1024, 2048, 4096]
    mem = {"standard": [4 * n * n * 16 for n in lengths], "triton": [4 * n * 16 for n in lengths], "sdpa": [4 * n * 16 for n in lengths],
           "untiled": [6 * n * n * 16 for n in lengths]}
    secs = {"standard": [n * n * 1e-9 for n in lengths], "triton": [n * n * 1e-9 / speedup for n in lengths],
            "sdpa": [n * n * 1e-9 / (speedup * 1.2) for n in lengths]}
    check = {"ran": True, "max_abs_err_fp32": 1e-3, "max_abs_err_fp16": 2e-3, "max_abs_err_lse": 1e-6, "max_abs_err_grad": 4e-3}
    return lengths, check, mem, secs


@pytest.mark.parametrize("speedup,passed", [(3.5, True), (1.2, False)])
def test_gpu_claim_table_needs_the_fused_kernel_to_be_faster(speedup, passed):
    cfg = fa.SPEC.config("full")
    lengths, check, mem, secs = _gpu_measurements(speedup)
    fwd_bwd = {"standard": [1.0, 4.0, None], "triton": [0.5, 1.5, 5.0], "sdpa": [0.4, 1.2, 4.0]}
    result = fa._result(cfg, "cuda", lengths, (1e-6, 1e-6, 1e-6, 0.5), check, mem, secs, "triton", fwd_bwd)
    assert result["passed"] is passed
    row = next(c for c in result["claims"] if c["check"].startswith("forward + backward"))
    assert row["held"] is None and "standard out of memory" in row["measured"] and "Triton 5.00 ms" in row["measured"]
    speed = next(c for c in result["claims"] if c["check"].startswith("fused kernel vs standard"))
    assert speed["held"] is passed and f"({speedup:.1f}x)" in speed["measured"]
    assert result["metrics"]["speedup_vs_standard_at_max_len"] == pytest.approx(speedup, rel=1e-3)
    assert abs(result["metrics"]["mem_slope_flash"] - 1) < 1e-6 and abs(result["metrics"]["mem_slope_standard"] - 2) < 1e-6


def test_a_wrong_kernel_fails_the_run_even_when_memory_and_speed_hold():
    cfg = fa.SPEC.config("full")
    lengths, check, mem, secs = _gpu_measurements(3.0)
    check["max_abs_err_fp16"] = 0.3
    result = fa._result(cfg, "cuda", lengths, (1e-6, 1e-6, 1e-6, 0.5), check, mem, secs, "triton")
    assert result["passed"] is False
    assert next(c for c in result["claims"] if c["check"].startswith("fused Triton kernel"))["held"] is False


def test_full_preset_on_a_small_cpu_is_refused_before_it_swaps():
    from kb.errors import BadInput

    cfg = fa.SPEC.config("full", {"max_len": 2 ** 16, "min_len": 1024})
    with pytest.raises(BadInput) as exc:
        fa._check_cpu_memory(cfg, 2 ** 16)
    assert "GiB" in str(exc.value) and "--set max_len=" in exc.value.hint
    fa._check_cpu_memory(fa.SPEC.config("tiny"), 512)  # the tiny preset fits anywhere
