"""The Triton kernels compiled ahead of time for an A100 (sm_80) and an H100 (sm_90), no GPU
needed: the launch configuration must fit the target's shared memory and not spill heavily.
The largest configurations are checked here; `python -m reproductions.triton_aot` checks all."""

import pytest

pytest.importorskip("triton")

from reproductions import flash_attention_triton as fat  # noqa: E402
from reproductions import triton_aot  # noqa: E402


@pytest.mark.parametrize("arch", [80, 90])
@pytest.mark.parametrize("kernel", ["forward", "backward_dkdv", "backward_dq"])
def test_fp32_head_dim_128_fits_the_gpu(kernel, arch):
    r = triton_aot.compile_kernel(kernel, "fp32", 128, True, arch)
    assert r["shared"] <= triton_aot.SMEM_LIMIT[arch], r
    assert r["stack"] <= triton_aot.MAX_STACK and r["local"] == 0, r


def test_the_old_fixed_tiles_did_not_fit_an_a100(monkeypatch):
    """The check can fail: the tiles used before (128 x 64, 3 stages, 8 warps for d = 128) need
    about 197 KB of shared memory for fp32 at d = 128, over sm_80's 166,912 B."""
    monkeypatch.setattr(fat, "launch_config", lambda element_bytes, head_dim: {
        "block_m": 128, "block_n": 64, "warps": 8, "stages": 3, "block_bwd": 64, "bwd_warps": 8, "bwd_stages": 2})
    r = triton_aot.compile_kernel("forward", "fp32", 128, False, 80)
    assert r["shared"] > triton_aot.SMEM_LIMIT[80] and not r["fits"]


def test_offsets_are_int64_for_tensors_past_two_to_the_31():
    """B*H*N*d >= 2^31 elements: (batch*head) * stride must not wrap in int32."""
    import inspect

    for kernel in (fat._forward_kernel, fat._backward_dkdv_kernel, fat._backward_dq_kernel):
        assert "tl.program_id(1).to(tl.int64)" in inspect.getsource(kernel.fn)
    ttir = _ttir_of_forward()
    assert "i64" in ttir  # the offset arithmetic is 64-bit in the compiled kernel


def _ttir_of_forward() -> str:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    fn = fat._forward_kernel
    src = ASTSource(fn=fn, signature=triton_aot._signature(fn, "*fp16"),
                    constexprs={"HEAD_DIM": 16, "BLOCK_M": 16, "BLOCK_N": 16, "CAUSAL": False})
    return triton.compile(src, target=GPUTarget("cuda", 80, 32), options={"num_warps": 4, "num_stages": 1}).asm["ttir"]
