"""FlashAttention's forward and backward passes as fused Triton kernels (Dao et al. 2022, arXiv 2205.14135).

The paper's speed-up (Section 3.1) comes from never writing the N x N scores to GPU memory
(HBM): each program loads one block of queries Q_i into on-chip SRAM, streams the blocks K_j, V_j
past it, and keeps the online-softmax statistics m_i, l_i and the output accumulator in registers
(Algorithm 1, in the FlashAttention-2 loop order: queries outside, keys inside, so no program
writes to another's rows). The backward pass (Algorithm 4) recomputes each tile of P from Q, K
and the saved log-sum-exp instead of reading an N x N matrix back; it is split FlashAttention-2
style into one kernel that owns a block of keys (dK_j, dV_j) and one that owns a block of queries
(dQ_i), so no two programs add into the same rows. `reproductions/flash_attention.py` is the same
algorithm as a readable PyTorch loop; this file is what makes it fast on a GPU.

Importing this module imports triton. On a machine without a GPU the kernels still run, slowly,
under Triton's interpreter: set TRITON_INTERPRET=1 before importing it (the tests and the CPU run
of the reproduction do this in a child process) and pass CPU tensors.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

HEAD_DIMS = (16, 32, 64, 128)  # tl.dot wants power-of-two tiles of at least 16; 256 overflows shared memory at 3 stages


@triton.jit
def _forward_kernel(Q, K, V, O, LSE, sm_scale, n_ctx,
                    stride_qb, stride_qn, stride_kb, stride_kn, stride_vb, stride_vn, stride_ob, stride_on,
                    HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    start_m = tl.program_id(0)  # which block of query rows Q_i (Algorithm 1, outer loop)
    bh = tl.program_id(1).to(tl.int64)  # which (batch, head); int64: bh * stride passes 2^31 once B*H*N*d does
    rows = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols0 = tl.arange(0, BLOCK_N)
    dims = tl.arange(0, HEAD_DIM)
    row_ok = rows < n_ctx

    # Load Q_i once; it stays on chip for the whole loop (line 8).
    q = tl.load(Q + bh * stride_qb + rows[:, None] * stride_qn + dims[None, :], mask=row_ok[:, None], other=0.0)
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)  # running row max m_i (line 2)
    l_i = tl.zeros([BLOCK_M], tl.float32)  # running softmax denominator l_i (line 2)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)  # unnormalised O_i, in fp32 whatever the input type
    # exp(x) = 2^(x log2 e): work in base 2, exp2 being one GPU instruction; fold 1/sqrt(d) in too.
    qk_scale = sm_scale * 1.4426950408889634

    hi = n_ctx
    if CAUSAL:  # blocks entirely above the diagonal contribute nothing: skip them
        hi = tl.minimum((start_m + 1) * BLOCK_M, n_ctx)
    for start_n in range(0, hi, BLOCK_N):  # inner loop over K_j, V_j (line 6)
        cols = start_n + cols0
        col_ok = cols < n_ctx
        # K_j is loaded transposed (HEAD_DIM x BLOCK_N) so that S_ij = Q_i K_j^T is one tl.dot (line 9).
        kt = tl.load(K + bh * stride_kb + cols[None, :] * stride_kn + dims[:, None], mask=col_ok[None, :], other=0.0)
        s = tl.dot(q, kt) * qk_scale
        keep = col_ok[None, :]
        if CAUSAL:
            keep = keep & (cols[None, :] <= rows[:, None])
        s = tl.where(keep, s, float("-inf"))
        # Column 0 is kept for every row in the first block, so m_new is finite from the first
        # step on and no row ever computes -inf - (-inf).
        m_new = tl.maximum(m_i, tl.max(s, 1))  # m_i^new = max(m_i, rowmax(S_ij)) (line 11)
        p = tl.math.exp2(s - m_new[:, None])  # P~_ij = exp(S_ij - m_i^new) (line 10)
        alpha = tl.math.exp2(m_i - m_new)  # e^{m_i - m_i^new}: rescales what was summed so far
        l_i = l_i * alpha + tl.sum(p, 1)  # l_i^new (line 11)
        v = tl.load(V + bh * stride_vb + cols[:, None] * stride_vn + dims[None, :], mask=col_ok[:, None], other=0.0)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)  # O_i update (line 12)
        m_i = m_new

    acc = acc / l_i[:, None]  # diag(l_i)^-1 once at the end (FlashAttention-2), not every step
    # The log-sum-exp L_i = m_i + log l_i, back in natural-log units, is what a backward pass needs.
    tl.store(LSE + bh * n_ctx + rows, (m_i + tl.math.log2(l_i)) * 0.6931471805599453, mask=row_ok)
    tl.store(O + bh * stride_ob + rows[:, None] * stride_on + dims[None, :], acc.to(O.dtype.element_ty), mask=row_ok[:, None])


@triton.jit
def _tile(PTR, base, idx, ok, stride_n, dims):
    """The rows `idx` of one (N, d) matrix; rows past N read as zeros."""
    return tl.load(PTR + base + idx[:, None] * stride_n + dims[None, :], mask=ok[:, None], other=0.0)


@triton.jit
def _probabilities(q, k, lse, rows, cols, row_ok, col_ok, sm_scale, CAUSAL: tl.constexpr):
    """P_ij = exp(S_ij - L_i) recomputed from Q_i, K_j and the saved log-sum-exp (Algorithm 4,
    line 13), zero where a key is masked or out of range."""
    p = tl.exp(tl.dot(q, tl.trans(k)) * sm_scale - lse[:, None])
    keep = row_ok[:, None] & col_ok[None, :]
    if CAUSAL:
        keep = keep & (cols[None, :] <= rows[:, None])
    return tl.where(keep, p, 0.0)


@triton.jit
def _backward_dkdv_kernel(Q, K, V, DO, LSE, DELTA, DK, DV, sm_scale, n_ctx, stride_b, stride_n,
                          HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    start_n = tl.program_id(0)  # which block of keys K_j, V_j (Algorithm 4, outer loop, line 6)
    bh = tl.program_id(1).to(tl.int64)  # int64 offsets: B*H*N*d may pass 2^31
    base = bh * stride_b
    cols = start_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rows0 = tl.arange(0, BLOCK_M)
    dims = tl.arange(0, HEAD_DIM)
    col_ok = cols < n_ctx
    k = _tile(K, base, cols, col_ok, stride_n, dims)
    v = _tile(V, base, cols, col_ok, stride_n, dims)
    dk = tl.zeros([BLOCK_N, HEAD_DIM], tl.float32)
    dv = tl.zeros([BLOCK_N, HEAD_DIM], tl.float32)
    lo = 0
    if CAUSAL:  # query blocks entirely above this key block see none of it
        lo = (start_n * BLOCK_N // BLOCK_M) * BLOCK_M
    for start_m in range(lo, n_ctx, BLOCK_M):  # inner loop over Q_i, dO_i (line 9)
        rows = start_m + rows0
        row_ok = rows < n_ctx
        q = _tile(Q, base, rows, row_ok, stride_n, dims)
        do = _tile(DO, base, rows, row_ok, stride_n, dims)
        lse = tl.load(LSE + bh * n_ctx + rows, mask=row_ok, other=0.0)
        delta = tl.load(DELTA + bh * n_ctx + rows, mask=row_ok, other=0.0)
        p = _probabilities(q, k, lse, rows, cols, row_ok, col_ok, sm_scale, CAUSAL)
        dv += tl.dot(tl.trans(p.to(do.dtype)), do)  # dV_j += P_ij^T dO_i (line 16)
        dp = tl.dot(do, tl.trans(v))  # dP_ij = dO_i V_j^T (line 17)
        ds = p * (dp - delta[:, None])  # dS_ij = P_ij * (dP_ij - D_i) (line 20)
        dk += tl.dot(tl.trans(ds.to(q.dtype)), q)  # dK_j += dS_ij^T Q_i (line 22), scaled once below
    tl.store(DK + base + cols[:, None] * stride_n + dims[None, :], (dk * sm_scale).to(DK.dtype.element_ty), mask=col_ok[:, None])
    tl.store(DV + base + cols[:, None] * stride_n + dims[None, :], dv.to(DV.dtype.element_ty), mask=col_ok[:, None])


@triton.jit
def _backward_dq_kernel(Q, K, V, DO, LSE, DELTA, DQ, sm_scale, n_ctx, stride_b, stride_n,
                        HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    start_m = tl.program_id(0)  # which block of queries: it alone writes dQ_i (line 21 without atomics)
    bh = tl.program_id(1).to(tl.int64)  # int64 offsets: B*H*N*d may pass 2^31
    base = bh * stride_b
    rows = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols0 = tl.arange(0, BLOCK_N)
    dims = tl.arange(0, HEAD_DIM)
    row_ok = rows < n_ctx
    q = _tile(Q, base, rows, row_ok, stride_n, dims)
    do = _tile(DO, base, rows, row_ok, stride_n, dims)
    lse = tl.load(LSE + bh * n_ctx + rows, mask=row_ok, other=0.0)
    delta = tl.load(DELTA + bh * n_ctx + rows, mask=row_ok, other=0.0)
    dq = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    hi = n_ctx
    if CAUSAL:
        hi = tl.minimum((start_m + 1) * BLOCK_M, n_ctx)
    for start_n in range(0, hi, BLOCK_N):
        cols = start_n + cols0
        col_ok = cols < n_ctx
        k = _tile(K, base, cols, col_ok, stride_n, dims)
        v = _tile(V, base, cols, col_ok, stride_n, dims)
        p = _probabilities(q, k, lse, rows, cols, row_ok, col_ok, sm_scale, CAUSAL)
        ds = p * (tl.dot(do, tl.trans(v)) - delta[:, None])
        dq += tl.dot(ds.to(k.dtype), k)  # dQ_i += dS_ij K_j (line 21), scaled once below
    tl.store(DQ + base + rows[:, None] * stride_n + dims[None, :], (dq * sm_scale).to(DQ.dtype.element_ty), mask=row_ok[:, None])


def launch_config(element_bytes: int, head_dim: int) -> dict:
    """Tiles, warps and pipeline stages for one (dtype, head_dim): chosen so that every kernel's
    shared memory fits an A100 (sm_80: 166,912 B per block) and an H100 (sm_90: 232,448 B), and
    registers do not spill much; `python -m reproductions.triton_aot` compiles every
    configuration for both ahead of time, without a GPU, and prints what each needs.
    Shared memory grows with the tiles x head_dim x element size x stages, so fp32 and d = 128
    take smaller tiles and fewer stages."""
    wide = element_bytes * head_dim  # bytes per row of a Q, K or V tile
    if wide <= 64:  # fp16/bf16 d <= 32, fp32 d = 16
        return {"block_m": 128, "block_n": 64, "warps": 4, "stages": 3, "block_bwd": 64, "bwd_warps": 4, "bwd_stages": 2}
    if wide <= 128:  # fp16/bf16 d = 64, fp32 d = 32: at 4 warps these spill (up to 248 B of stack), so 8
        return {"block_m": 128, "block_n": 64, "warps": 8, "stages": 3, "block_bwd": 64, "bwd_warps": 8, "bwd_stages": 2}
    if wide <= 256:  # fp16/bf16 d = 128, fp32 d = 64
        return {"block_m": 64, "block_n": 64, "warps": 4, "stages": 2, "block_bwd": 32, "bwd_warps": 4, "bwd_stages": 2}
    return {"block_m": 64, "block_n": 32, "warps": 4, "stages": 2, "block_bwd": 32, "bwd_warps": 4, "bwd_stages": 1}  # fp32 d = 128


def check_shapes(q, k, v) -> None:
    if q.shape != k.shape or q.shape != v.shape or q.dim() != 4:
        raise ValueError(f"q, k, v must share one (batch, heads, N, d) shape; got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] not in HEAD_DIMS:
        raise ValueError(f"head dimension {q.shape[-1]} is not one of {HEAD_DIMS}")


def _forward(q3, k3, v3, n, d, causal, block_m, block_n, sm_scale, warps=4, stages=3):
    o = torch.empty_like(q3)
    lse = torch.empty(q3.shape[:2], device=q3.device, dtype=torch.float32)
    grid = (triton.cdiv(n, block_m), q3.shape[0])
    _forward_kernel[grid](q3, k3, v3, o, lse, sm_scale, n,
                          q3.stride(0), q3.stride(1), k3.stride(0), k3.stride(1),
                          v3.stride(0), v3.stride(1), o.stride(0), o.stride(1),
                          HEAD_DIM=d, BLOCK_M=block_m, BLOCK_N=block_n, CAUSAL=causal,
                          num_warps=warps, num_stages=stages)
    return o, lse


def _backward(q3, k3, v3, o, lse, do, n, d, causal, block, sm_scale, warps=4, stages=2):
    """dQ, dK, dV of (batch*heads, N, d) tensors; D_i = rowsum(dO_i * O_i) (Algorithm 4, line 19) is one
    elementwise pass, left to torch."""
    do = do.contiguous()
    delta = (do.float() * o.float()).sum(-1)
    dq, dk, dv = torch.empty_like(q3), torch.empty_like(k3), torch.empty_like(v3)
    common = dict(HEAD_DIM=d, BLOCK_M=block, BLOCK_N=block, CAUSAL=causal, num_warps=warps, num_stages=stages)
    grid = (triton.cdiv(n, block), q3.shape[0])
    _backward_dkdv_kernel[grid](q3, k3, v3, do, lse, delta, dk, dv, sm_scale, n, q3.stride(0), q3.stride(1), **common)
    _backward_dq_kernel[grid](q3, k3, v3, do, lse, delta, dq, sm_scale, n, q3.stride(0), q3.stride(1), **common)
    return dq, dk, dv


class _FlashAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q3, k3, v3, n, d, causal, cfg, sm_scale):
        o, lse = _forward(q3, k3, v3, n, d, causal, cfg["block_m"], cfg["block_n"], sm_scale, cfg["warps"], cfg["stages"])
        ctx.save_for_backward(q3, k3, v3, o, lse)  # O(N) beyond the inputs and output: L, not P
        ctx.mark_non_differentiable(lse)
        ctx.args = (n, d, causal, cfg["block_bwd"], sm_scale, cfg["bwd_warps"], cfg["bwd_stages"])
        return o, lse

    @staticmethod
    def backward(ctx, do, _dlse):
        q3, k3, v3, o, lse = ctx.saved_tensors
        return (*_backward(q3, k3, v3, o, lse, do, *ctx.args), None, None, None, None, None)


def attention(q, k, v, causal: bool = False, block_m: int | None = None, block_n: int | None = None, sm_scale: float | None = None,
              return_lse: bool = False, block_bwd: int | None = None):
    """softmax(Q K^T / sqrt(d)) V for q, k, v of shape (batch, heads, N, d), by the fused kernels;
    differentiable. Tiles default to `launch_config` for the dtype and head_dim (ones that fit the
    GPU's shared memory); explicit ones are for tests. On a GPU, fp32 inputs run their tl.dot
    products as TF32 (Triton's default input precision on sm_80+): about 3 decimal digits."""
    check_shapes(q, k, v)
    b, h, n, d = q.shape
    sm_scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(d)
    cfg = launch_config(q.element_size(), d)
    cfg.update({k_: v_ for k_, v_ in (("block_m", block_m), ("block_n", block_n), ("block_bwd", block_bwd)) if v_ is not None})
    q3, k3, v3 = (t.reshape(b * h, n, d).contiguous() for t in (q, k, v))
    o, lse = _FlashAttention.apply(q3, k3, v3, n, d, causal, cfg, sm_scale)
    o = o.reshape(b, h, n, d)
    return (o, lse.reshape(b, h, n)) if return_lse else o
