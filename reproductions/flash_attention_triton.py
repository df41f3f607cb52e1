"""FlashAttention's forward pass as one fused Triton kernel (Dao et al. 2022, arXiv 2205.14135).

The paper's speed-up (Section 3.1) comes from never writing the N x N scores to GPU memory
(HBM): each program loads one block of queries Q_i into on-chip SRAM, streams the blocks K_j, V_j
past it, and keeps the online-softmax statistics m_i, l_i and the output accumulator in registers
(Algorithm 1, in the FlashAttention-2 loop order: queries outside, keys inside, so no program
writes to another's rows). `reproductions/flash_attention.py` is the same algorithm as a readable
PyTorch loop; this file is what makes it fast on a GPU.

Importing this module imports triton. On a machine without a GPU the kernel still runs, slowly,
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
    bh = tl.program_id(1)  # which (batch, head)
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


def check_shapes(q, k, v) -> None:
    if q.shape != k.shape or q.shape != v.shape or q.dim() != 4:
        raise ValueError(f"q, k, v must share one (batch, heads, N, d) shape; got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] not in HEAD_DIMS:
        raise ValueError(f"head dimension {q.shape[-1]} is not one of {HEAD_DIMS}")


def attention(q, k, v, causal: bool = False, block_m: int = 128, block_n: int = 64, sm_scale: float | None = None,
              return_lse: bool = False):
    """softmax(Q K^T / sqrt(d)) V for q, k, v of shape (batch, heads, N, d), by the fused kernel."""
    check_shapes(q, k, v)
    b, h, n, d = q.shape
    sm_scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(d)
    q3, k3, v3 = (t.reshape(b * h, n, d).contiguous() for t in (q, k, v))
    o = torch.empty_like(q3)
    lse = torch.empty((b * h, n), device=q.device, dtype=torch.float32)
    grid = (triton.cdiv(n, block_m), b * h)
    _forward_kernel[grid](q3, k3, v3, o, lse, sm_scale, n,
                          q3.stride(0), q3.stride(1), k3.stride(0), k3.stride(1),
                          v3.stride(0), v3.stride(1), o.stride(0), o.stride(1),
                          HEAD_DIM=d, BLOCK_M=block_m, BLOCK_N=block_n, CAUSAL=causal,
                          num_warps=4 if d <= 64 else 8, num_stages=3)
    o = o.reshape(b, h, n, d)
    return (o, lse.reshape(b, h, n)) if return_lse else o
