"""Per-frame luma similarity and block statistics, in numpy (always) or torch (when asked or on a GPU).

Frames arrive as uint8 luma batches (n, h, w) already scaled to the analysis size by swscale.
SSIM uses the SSIM paper's constants on 8×8 windows at a stride of 4 (window statistics come
from 4×4 block sums, so one pass over the pixels gives every window): this costs a fraction
of a Gaussian-window SSIM, which mattered for keeping ``compare`` near the cost of decoding.
The block sums of 8-bit values are exact in float32, so PSNR comes from them too (the squared
error Σa² + Σb² − 2Σab, exact), and so do the 4×4 block means of the luma that the motion and
flicker profiles use. Frames are cropped to a multiple of 4 (the analysis size already is).

numpy is the reference; torch (the ``torch`` extra) runs the same arithmetic on a CPU or CUDA
device and agrees within :data:`TORCH_ATOL` (float32 sums in a different order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from comfyreel.compiler.errors import MissingExtra, UsageError

PSNR_CAP_DB = 100.0  # identical frames: report this instead of infinity (JSON has no inf)
BLOCK = 4  # block side for the statistics; SSIM windows are 2×2 blocks (8×8 pixels, stride 4)
TORCH_ATOL = 1e-4  # |numpy − torch| bound on SSIM, block means and PSNR/100 (tests/checks assert it)
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


@dataclass
class FrameStats:
    """Per-frame scores of a batch of pairs, plus each side's luma block means."""

    ssim: np.ndarray  # (n,)
    psnr_db: np.ndarray  # (n,)
    blocks_actual: np.ndarray  # (n, h/4, w/4) float32 block means of the actual luma
    blocks_golden: np.ndarray


_FIELDS = ("ssim", "psnr_db", "blocks_actual", "blocks_golden")


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingExtra("torch acceleration (--device cpu/cuda)", "torch", "torch") from None
    return torch


def available() -> bool:
    """True when torch can be imported (the optional accelerator)."""
    try:
        _torch()
    except MissingExtra:
        return False
    return True


def pick_device(device: str | None = None) -> str:
    """ "numpy" (the default), or a torch device: "cpu", "cuda[:n]", or "auto" (cuda if torch sees one).

    numpy is the default even where torch is installed: importing torch alone costs 1–2 s, and
    on a CPU these block statistics were measured faster in numpy than in torch.
    """
    if device in (None, "", "numpy"):
        return "numpy"
    if device == "auto":
        if not available():
            return "numpy"
        return "cuda" if _torch().cuda.is_available() else "numpy"
    if not (device == "cpu" or device.startswith("cuda")):
        raise UsageError(f"unknown device {device!r}", anchor="--device", hint="use numpy, cpu, cuda or auto")
    torch = _torch()
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(
            f"torch device {device!r} is not available here",
            anchor="--device",
            hint="use --device numpy (the default) or cpu, or auto to use a GPU when there is one",
        )
    return device


def _crop(x: np.ndarray) -> np.ndarray:
    h, w = x.shape[-2] // BLOCK * BLOCK, x.shape[-1] // BLOCK * BLOCK
    return x[..., :h, :w]


def _pool(x: Any) -> Any:
    """Sums of BLOCK×BLOCK blocks of (..., h, w) (h, w multiples of BLOCK) by strided adds.

    Measured 13× faster in numpy than a reshape-and-sum; the sums of 8-bit values and their
    products stay below 2**24, so they are exact in float32 on both backends.
    """
    y = x[..., 0::BLOCK] + x[..., 1::BLOCK]
    for i in range(2, BLOCK):
        y += x[..., i::BLOCK]
    z = y[..., 0::BLOCK, :] + y[..., 1::BLOCK, :]
    for i in range(2, BLOCK):
        z += y[..., i::BLOCK, :]
    return z


def _ssim_from_blocks(torch: Any, sums: Any) -> Any:
    """SSIM per frame from the 4×4 block sums (5, n, bh, bw) of a, b, a², b², ab."""
    win = sums[..., :-1, :-1] + sums[..., 1:, :-1] + sums[..., :-1, 1:] + sums[..., 1:, 1:]
    win = win / float((2 * BLOCK) ** 2)
    mu_a, mu_b, aa, bb, ab = win[0], win[1], win[2], win[3], win[4]
    saa, sbb, sab = aa - mu_a * mu_a, bb - mu_b * mu_b, ab - mu_a * mu_b
    num = (2 * mu_a * mu_b + _C1) * (2 * sab + _C2)
    den = (mu_a * mu_a + mu_b * mu_b + _C1) * (saa + sbb + _C2)
    out = num / den
    return out.mean(axis=(-2, -1)) if torch is None else out.mean(dim=(-2, -1))


def _psnr(mse: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.minimum(10 * np.log10(255.0**2 / np.maximum(mse, 1e-10)), PSNR_CAP_DB)


def _mse(sums: Any, pixels: int) -> np.ndarray:
    """Mean squared error per frame from the exact block sums: Σa² + Σb² − 2Σab, summed in float64."""
    totals = sums[2:].reshape(3, sums.shape[1], -1).sum(-1, dtype=np.float64)
    return np.maximum(totals[0] + totals[1] - 2 * totals[2], 0.0) / pixels


def _stats_numpy(a8: np.ndarray, g8: np.ndarray) -> FrameStats:
    n = a8.shape[0]
    a, g = _crop(a8).astype(np.float32), _crop(g8).astype(np.float32)
    sums = np.stack([_pool(a), _pool(g), _pool(a * a), _pool(g * g), _pool(a * g)])
    ssim = _ssim_from_blocks(None, sums) if min(sums.shape[-2:]) > 1 else np.ones(n, np.float32)
    means = sums[:2] / float(BLOCK * BLOCK)
    mse = _mse(sums, a.shape[-1] * a.shape[-2])
    return FrameStats(ssim.astype(np.float64), _psnr(mse), means[0], means[1])


# torch on a CPU: four frames per call keep the intermediates in cache (16 measured 2× slower)
_TORCH_CPU_CHUNK = 4


def _stats_torch(a8: np.ndarray, g8: np.ndarray, device: str) -> FrameStats:
    if device == "cpu" and len(a8) > _TORCH_CPU_CHUNK:
        parts = [
            _stats_torch(a8[i : i + _TORCH_CPU_CHUNK], g8[i : i + _TORCH_CPU_CHUNK], device)
            for i in range(0, len(a8), _TORCH_CPU_CHUNK)
        ]
        return FrameStats(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))
    torch = _torch()
    n = a8.shape[0]
    with torch.no_grad():
        a = _crop(torch.from_numpy(np.ascontiguousarray(a8)).to(device).to(torch.float32))
        g = _crop(torch.from_numpy(np.ascontiguousarray(g8)).to(device).to(torch.float32))
        sums = torch.stack([_pool(a), _pool(g), _pool(a * a), _pool(g * g), _pool(a * g)])
        if min(sums.shape[-2:]) > 1:
            ssim = _ssim_from_blocks(torch, sums).cpu().numpy()
        else:
            ssim = np.ones(n, np.float32)
        sums_np = sums.cpu().numpy()
    means = sums_np[:2] / float(BLOCK * BLOCK)
    mse = _mse(sums_np, a.shape[-1] * a.shape[-2])
    return FrameStats(ssim.astype(np.float64), _psnr(mse), means[0], means[1])


def frame_stats(actual: np.ndarray, golden: np.ndarray, *, device: str | None = None) -> FrameStats:
    """SSIM, PSNR and luma block means of two uint8 batches (n, h, w) (or single frames (h, w))."""
    if actual.shape != golden.shape:
        raise ValueError(f"frame batches differ in shape: {actual.shape} vs {golden.shape}")
    if actual.ndim == 2:
        actual, golden = actual[None], golden[None]
    dev = pick_device(device)
    return _stats_numpy(actual, golden) if dev == "numpy" else _stats_torch(actual, golden, dev)


def ssim_psnr(
    actual: np.ndarray, golden: np.ndarray, *, device: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame SSIM (−1..1) and PSNR (dB, capped at 100) of two uint8 batches (n, h, w)."""
    stats = frame_stats(actual, golden, device=device)
    return stats.ssim, stats.psnr_db


def limit_cpu_threads(n: int) -> int | None:
    """Set torch's intra-op thread count when torch is loaded; return the previous one."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return None
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    return previous


def dissimilarity_map(actual: np.ndarray, golden: np.ndarray) -> np.ndarray:
    """(1 − SSIM)/2 per 4×4 block of one frame pair, in 0..1, upsampled back to the frame size."""
    a, g = _crop(actual[None].astype(np.float32)), _crop(golden[None].astype(np.float32))
    sums = np.stack([_pool(a), _pool(g), _pool(a * a), _pool(g * g), _pool(a * g)])
    padded = np.pad(sums, ((0, 0), (0, 0), (0, 1), (0, 1)), mode="edge")
    win = padded[..., :-1, :-1] + padded[..., 1:, :-1] + padded[..., :-1, 1:] + padded[..., 1:, 1:]
    win = win[:, 0] / float((2 * BLOCK) ** 2)
    mu_a, mu_b, aa, bb, ab = win
    num = (2 * mu_a * mu_b + _C1) * (2 * (ab - mu_a * mu_b) + _C2)
    den = (mu_a * mu_a + mu_b * mu_b + _C1) * (aa - mu_a * mu_a + bb - mu_b * mu_b + _C2)
    heat = np.clip((1.0 - num / den) / 2.0, 0, 1)
    full = np.repeat(np.repeat(heat, BLOCK, axis=0), BLOCK, axis=1)
    h, w = actual.shape
    return np.pad(full, ((0, h - full.shape[0]), (0, w - full.shape[1])), mode="edge")
