"""Temporal metrics: how a clip changes from frame to frame, against how its golden does.

Both work on each frame's grid of 4×4-block luma means (``metrics.FrameStats``), which
averages away compression noise but keeps any movement of content across the grid.

- **motion**: the change profile m(t) = mean |B(t) − B(t−1)| over the grid, in 8-bit levels.
  ``motion_diff`` = mean |m_actual − m_golden| / max(mean m_golden, MOTION_FLOOR): 0 for the
  same motion, about 1 for a video that froze (or an image-to-video that stayed still), and
  large for motion at another speed or motion where the golden was still.
- **flicker**: the frame-to-frame jump of the mean brightness, Δμ(t) = μ(t) − μ(t−1);
  ``flicker`` = max |Δμ_actual − Δμ_golden|, in 8-bit levels: brightness pulsing that the
  golden does not have. A whole-clip brightness shift is not flicker (ΔE sees it).
"""

from __future__ import annotations

import numpy as np

MOTION_FLOOR = 0.5  # levels per frame: below this the golden counts as still (no division by ~0)


def change_profile(blocks: np.ndarray) -> np.ndarray:
    """(n, bh, bw) block means → (n−1,) mean absolute change between consecutive frames."""
    if len(blocks) < 2:
        return np.zeros(0)
    return np.abs(np.diff(blocks.astype(np.float64), axis=0)).mean(axis=(1, 2))


def motion_diff(actual: np.ndarray, golden: np.ndarray) -> float:
    """Relative L1 distance between two change profiles (compared over their common length)."""
    n = min(len(actual), len(golden))
    if n == 0:
        return 0.0
    scale = max(float(np.mean(golden[:n])), MOTION_FLOOR)
    return float(np.mean(np.abs(actual[:n] - golden[:n])) / scale)


def brightness_steps(blocks: np.ndarray) -> np.ndarray:
    """(n, bh, bw) block means → (n−1,) change of the frame's mean luma between frames."""
    return np.diff(blocks.astype(np.float64).mean(axis=(1, 2)))


def flicker(actual: np.ndarray, golden: np.ndarray) -> tuple[float, int]:
    """(worst |Δμ_actual − Δμ_golden|, the frame index where it lands) over the common length."""
    n = min(len(actual), len(golden))
    if n == 0:
        return 0.0, 0
    d = np.abs(actual[:n] - golden[:n])
    i = int(np.argmax(d))
    return float(d[i]), i + 1
