"""Colour difference: sRGB → CIELAB (D65) and CIEDE2000 ΔE, vectorised numpy.

The inputs are small RGB grids (each cell the area average of a block of the frame, made by
swscale), so ΔE measures regional colour, not texture: a re-encode that smears chroma edges
moves it little, a colour cast or a recoloured scene moves it a lot. ΔE ≈ 1 is a just
noticeable difference; 2–3 is visible side by side. Formulas: CIE 15:2004 (Lab) and
Sharma, Wu & Dalal 2005 (CIEDE2000).
"""

from __future__ import annotations

import numpy as np

# sRGB (D65) → XYZ, IEC 61966-2-1, rows X, Y, Z; then divided by the D65 white point.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])
_M = _RGB_TO_XYZ / _WHITE[:, None]  # rows: X/Xn, Y/Yn, Z/Zn


def _linear_lut() -> np.ndarray:
    v = np.arange(256) / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


_LINEAR = _linear_lut()


def _f(t: np.ndarray) -> np.ndarray:
    eps, kappa = 216 / 24389, 24389 / 27
    return np.where(t > eps, np.cbrt(t), (kappa * t + 16) / 116)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) → float64 CIELAB (..., 3)."""
    lin = _LINEAR[rgb]
    r, g, b = lin[..., 0], lin[..., 1], lin[..., 2]
    fx, fy, fz = (_f(m[0] * r + m[1] * g + m[2] * b) for m in _M)
    return np.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], axis=-1)


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """ΔE00 between two Lab arrays (..., 3), element-wise (kL = kC = kH = 1)."""
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    c7 = c_bar**7
    g = 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    d_big_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    h_bar = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2)
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    cp7 = cp_bar**7
    r_t = -2 * np.sqrt(cp7 / (cp7 + 25.0**7)) * np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2))))
    return np.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_big_h / s_h) ** 2 + r_t * (dc / s_c) * (d_big_h / s_h)
    )


def frame_delta_e(actual: np.ndarray, golden: np.ndarray) -> np.ndarray:
    """Mean ΔE00 per frame of two uint8 RGB batches (n, h, w, 3) → (n,)."""
    if actual.shape != golden.shape:
        raise ValueError(f"colour grids differ in shape: {actual.shape} vs {golden.shape}")
    # float32 runs 2.5× faster and differs from float64 by < 1e-4 ΔE
    lab_a, lab_g = srgb_to_lab(actual).astype(np.float32), srgb_to_lab(golden).astype(np.float32)
    return ciede2000(lab_a, lab_g).mean(axis=(-2, -1), dtype=np.float64)
