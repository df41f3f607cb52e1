"""Compile the FlashAttention Triton kernels ahead of time for real GPUs, on a machine without one.

`triton.compile` with a `GPUTarget` runs Triton's whole pipeline down to a cubin (ptxas ships in
the triton wheel); the cubin's resource usage, read by the wheel's cuobjdump, says how many
registers and how much stack (spilled registers) each kernel needs, and the compiled metadata
how much shared memory. Every configuration `attention()` can launch is checked against the
target's per-block limit:

    python -m reproductions.triton_aot            # every dtype x head_dim x causal x kernel, sm_80 and sm_90
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

# Largest dynamic shared memory one block may opt into (CUDA programming guide, compute capabilities table).
SMEM_LIMIT = {80: 166_912, 90: 232_448}  # A100: 163 KiB, H100: 227 KiB
MAX_STACK = 64  # bytes of stack frame per thread tolerated (a few spilled registers), more is "heavy spilling"
DTYPES = {"fp16": 2, "bf16": 2, "fp32": 4}
_CONST = ("HEAD_DIM", "BLOCK_M", "BLOCK_N", "CAUSAL")


def _signature(fn, ptr: str) -> dict:
    sig = {}
    for name in fn.arg_names:
        if name in _CONST:
            sig[name] = "constexpr"
        elif name in ("LSE", "DELTA"):
            sig[name] = "*fp32"
        elif name.isupper():
            sig[name] = ptr
        else:
            sig[name] = "fp32" if name == "sm_scale" else "i32"
    return sig


def compile_kernel(kernel: str, dtype: str, head_dim: int, causal: bool, arch: int) -> dict:
    """Compile one kernel as `attention()` would launch it; its shared memory, registers and stack."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from reproductions import flash_attention_triton as fat

    cfg = fat.launch_config(DTYPES[dtype], head_dim)
    if kernel == "forward":
        fn, bm, bn, warps, stages = fat._forward_kernel, cfg["block_m"], cfg["block_n"], cfg["warps"], cfg["stages"]
    else:
        fn = fat._backward_dkdv_kernel if kernel == "backward_dkdv" else fat._backward_dq_kernel
        bm = bn = cfg["block_bwd"]
        warps, stages = cfg["bwd_warps"], cfg["bwd_stages"]
    src = ASTSource(fn=fn, signature=_signature(fn, "*" + dtype),
                    constexprs={"HEAD_DIM": head_dim, "BLOCK_M": bm, "BLOCK_N": bn, "CAUSAL": causal})
    compiled = triton.compile(src, target=GPUTarget("cuda", arch, 32), options={"num_warps": warps, "num_stages": stages})
    usage = _resource_usage(compiled.asm["cubin"])
    shared = compiled.metadata.shared
    return {"kernel": kernel, "dtype": dtype, "head_dim": head_dim, "causal": causal, "arch": arch, "block_m": bm, "block_n": bn,
            "warps": warps, "stages": stages, "shared": shared, "limit": SMEM_LIMIT[arch], **usage,
            "fits": shared <= SMEM_LIMIT[arch] and usage["stack"] <= MAX_STACK}


def _resource_usage(cubin: bytes) -> dict:
    import triton

    tool = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "cuobjdump")
    with tempfile.NamedTemporaryFile(suffix=".cubin") as fh:
        fh.write(cubin)
        fh.flush()
        out = subprocess.run([tool, "-res-usage", fh.name], capture_output=True, text=True, check=True).stdout
    field = lambda name: int(re.search(rf"{name}:(\d+)", out).group(1))  # noqa: E731
    return {"registers": field("REG"), "stack": field("STACK"), "local": field("LOCAL")}


def every_configuration():
    from reproductions.flash_attention_triton import HEAD_DIMS

    for arch in SMEM_LIMIT:
        for dtype in DTYPES:
            for d in HEAD_DIMS:
                for causal in (False, True):
                    for kernel in ("forward", "backward_dkdv", "backward_dq"):
                        yield kernel, dtype, d, causal, arch


def main() -> int:
    bad = 0
    print(f"{'kernel':14} {'dtype':5} {'d':>4} {'causal':6} {'sm':>3} {'tile':>7} {'w/s':>4} {'shared B':>9} {'limit':>8} {'reg':>4} {'stack':>5} fits")
    for args in every_configuration():
        r = compile_kernel(*args)
        bad += not r["fits"]
        print(f"{r['kernel']:14} {r['dtype']:5} {r['head_dim']:>4} {str(r['causal']):6} {r['arch']:>3} {r['block_m']:>3}x{r['block_n']:<3} "
              f"{r['warps']}/{r['stages']} {r['shared']:>9,} {r['limit']:>8,} {r['registers']:>4} {r['stack']:>5} {'yes' if r['fits'] else 'NO'}",
              flush=True)
    print(f"{bad} configuration(s) do not fit")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
