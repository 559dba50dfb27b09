"""metrics (torch SSIM/PSNR) and tolerances (defaults, layering, validation)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from comfyreel.checks import metrics
from comfyreel.checks.synth import pattern_frames
from comfyreel.checks.tolerances import Tolerances, parse_overrides
from comfyreel.compiler.errors import InputError, MissingExtra


def test_identical_frames_score_one_and_capped_psnr() -> None:
    f = pattern_frames(3, 48, 32, seed=3)[..., 1]
    s, p = metrics.ssim_psnr(f, f)
    assert np.allclose(s, 1.0) and np.all(p == metrics.PSNR_CAP_DB)


def test_noise_lowers_scores_monotonically() -> None:
    f = pattern_frames(1, 64, 48, seed=3)[..., 0]
    rng = np.random.default_rng(0)
    scores = []
    for amp in (2, 10, 40):
        noisy = np.clip(f.astype(int) + rng.integers(-amp, amp + 1, f.shape), 0, 255).astype(np.uint8)
        scores.append(metrics.ssim_psnr(noisy, f))
    assert scores[0][0][0] > scores[1][0][0] > scores[2][0][0]
    assert scores[0][1][0] > scores[1][1][0] > scores[2][1][0]


def test_psnr_matches_closed_form() -> None:
    a = np.full((1, 16, 16), 100, dtype=np.uint8)
    b = np.full((1, 16, 16), 110, dtype=np.uint8)
    _, p = metrics.ssim_psnr(a, b)
    assert p[0] == pytest.approx(10 * np.log10(255**2 / 100), rel=1e-5)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError):
        metrics.ssim_psnr(np.zeros((1, 16, 16), np.uint8), np.zeros((1, 16, 18), np.uint8))


def test_dissimilarity_map_shape_and_range() -> None:
    a, b = pattern_frames(2, 40, 30, seed=1)[..., 0]
    m = metrics.dissimilarity_map(a, b)
    assert m.shape == (30, 40) and 0 <= m.min() <= m.max() <= 1


def test_without_torch_raises_missing_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra) as info:
        metrics.ssim_psnr(np.zeros((1, 16, 16), np.uint8), np.zeros((1, 16, 16), np.uint8))
    assert "comfyreel[metrics]" in (info.value.hint or "")
    assert metrics.available() is False


def test_tolerances_layering_and_validation() -> None:
    base = Tolerances.from_dict({"min_ssim": 0.7})
    tol = Tolerances.from_dict({"frame_count_delta": 2, "codec_must_match": False}, base=base)
    assert (tol.min_ssim, tol.frame_count_delta, tol.codec_must_match) == (0.7, 2, False)
    assert tol.diff() == {"min_ssim": 0.7, "frame_count_delta": 2, "codec_must_match": False}
    with pytest.raises(InputError, match="unknown tolerance 'min_sim'") as info:
        Tolerances.from_dict({"min_sim": 0.7})
    assert "min_ssim" in (info.value.hint or "")
    for bad in (
        {"min_ssim": "high"},
        {"frame_count_delta": 1.5},
        {"codec_must_match": 1},
        {"worst_frames": -1},
    ):
        with pytest.raises(InputError):
            Tolerances.from_dict(bad)


def test_parse_overrides() -> None:
    assert parse_overrides(["min_ssim=0.8", "frame_count_delta=1", "codec_must_match=false"]) == {
        "min_ssim": 0.8,
        "frame_count_delta": 1,
        "codec_must_match": False,
    }
    with pytest.raises(InputError):
        parse_overrides(["min_ssim"])
    with pytest.raises(InputError):
        parse_overrides(["min_ssim=abc"])
