"""Per-frame similarity (SSIM and PSNR) on batches of luma frames, in torch.

This is the only module of comfyreel that imports torch (the optional ``metrics`` extra).
Frames arrive as uint8 arrays (batch, h, w); the math runs batched on the CPU or a CUDA
device with a separable 11-tap Gaussian window (σ = 1.5, the SSIM paper's constants), so
no Python loop runs per frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from comfyreel.compiler.errors import MissingExtra

PSNR_CAP_DB = 100.0  # identical frames: report this instead of infinity (JSON has no inf)
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingExtra("per-frame similarity", "metrics", "torch") from None
    return torch


def available() -> bool:
    """True when torch can be imported (without raising)."""
    try:
        _torch()
    except MissingExtra:
        return False
    return True


def pick_device(device: str | None = None) -> str:
    """``device`` if given, else "cuda" when a GPU is visible, else "cpu"."""
    if device:
        return device
    torch = _torch()
    return "cuda" if torch.cuda.is_available() else "cpu"


_WINDOWS: dict[tuple[str, int], Any] = {}


def _window(torch: Any, device: str, size: int = 11, sigma: float = 1.5) -> Any:
    key = (device, size)
    if key not in _WINDOWS:
        x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
        g = torch.exp(-(x**2) / (2 * sigma**2))
        _WINDOWS[key] = (g / g.sum()).to(device)
    return _WINDOWS[key]


def _blur(torch: Any, x: Any, g: Any) -> Any:
    """Separable Gaussian filter, 'valid' padding, on (n, 1, h, w)."""
    import torch.nn.functional as F

    k = g.numel()
    x = F.conv2d(x, g.view(1, 1, 1, k))
    return F.conv2d(x, g.view(1, 1, k, 1))


def _ssim_maps(torch: Any, a: Any, b: Any, device: str) -> Any:
    g = _window(torch, device)
    mu_a, mu_b = _blur(torch, a, g), _blur(torch, b, g)
    saa = _blur(torch, a * a, g) - mu_a * mu_a
    sbb = _blur(torch, b * b, g) - mu_b * mu_b
    sab = _blur(torch, a * b, g) - mu_a * mu_b
    num = (2 * mu_a * mu_b + _C1) * (2 * sab + _C2)
    den = (mu_a * mu_a + mu_b * mu_b + _C1) * (saa + sbb + _C2)
    return num / den


def _as_tensor(torch: Any, frames: np.ndarray, device: str) -> Any:
    t = torch.from_numpy(np.ascontiguousarray(frames))
    if t.dim() == 2:
        t = t.unsqueeze(0)
    return t.to(device=device).unsqueeze(1).to(torch.float32)


def ssim_psnr(
    actual: np.ndarray, golden: np.ndarray, *, device: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame SSIM (−1..1) and PSNR (dB, capped at 100) of two uint8 batches (n, h, w)."""
    torch = _torch()
    if actual.shape != golden.shape:
        raise ValueError(f"frame batches differ in shape: {actual.shape} vs {golden.shape}")
    dev = pick_device(device)
    with torch.no_grad():
        a, b = _as_tensor(torch, actual, dev), _as_tensor(torch, golden, dev)
        ssim = _ssim_maps(torch, a, b, dev).mean(dim=(1, 2, 3))
        mse = ((a - b) ** 2).mean(dim=(1, 2, 3))
        psnr = 10 * torch.log10((255.0**2) / mse.clamp_min(1e-10))
        psnr = psnr.clamp(max=PSNR_CAP_DB)
    return ssim.cpu().numpy().astype(np.float64), psnr.cpu().numpy().astype(np.float64)


def dissimilarity_map(actual: np.ndarray, golden: np.ndarray, *, device: str | None = None) -> np.ndarray:
    """(1 − SSIM)/2 per pixel of one frame pair, in 0..1, same size as the input (edges padded)."""
    torch = _torch()
    dev = pick_device(device)
    with torch.no_grad():
        a, b = _as_tensor(torch, actual, dev), _as_tensor(torch, golden, dev)
        m = _ssim_maps(torch, a, b, dev)[0, 0]
        pad = (actual.shape[-1] - m.shape[-1], actual.shape[-2] - m.shape[-2])
        m = torch.nn.functional.pad(
            m[None, None],
            (pad[0] // 2, pad[0] - pad[0] // 2, pad[1] // 2, pad[1] - pad[1] // 2),
            mode="replicate",
        )[0, 0]
        out = ((1.0 - m) / 2.0).clamp(0, 1)
    return out.cpu().numpy()
