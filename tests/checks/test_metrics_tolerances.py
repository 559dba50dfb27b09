"""metrics (numpy SSIM/PSNR/block means; torch agrees) and tolerances (defaults, layering, validation)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from comfyreel.checks import metrics
from comfyreel.checks.synth import pattern_frames
from comfyreel.checks.tolerances import Tolerances, parse_overrides
from comfyreel.compiler.errors import InputError, MissingExtra, UsageError


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


def test_without_torch_numpy_computes_and_torch_devices_name_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    f = pattern_frames(2, 48, 32, seed=3)[..., 0]
    s, p = metrics.ssim_psnr(f, f[::-1].copy())
    assert s.shape == (2,) and 0 < s[0] < 1 and p[0] < 40
    assert metrics.available() is False
    assert metrics.pick_device(None) == metrics.pick_device("auto") == "numpy"
    with pytest.raises(MissingExtra) as info:
        metrics.ssim_psnr(f, f, device="cpu")
    assert "comfyreel[torch]" in (info.value.hint or "")


def test_unknown_device_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown device 'tpu'"):
        metrics.pick_device("tpu")


def test_psnr_from_block_sums_is_exact() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (3, 24, 40), dtype=np.uint8)
    b = rng.integers(0, 256, (3, 24, 40), dtype=np.uint8)
    _, p = metrics.ssim_psnr(a, b)
    mse = ((a.astype(float) - b) ** 2).mean(axis=(1, 2))
    assert np.allclose(p, 10 * np.log10(255**2 / mse), rtol=0, atol=1e-9)


def test_block_ssim_tracks_gaussian_ssim_on_real_frames() -> None:
    """8×8/stride-4 SSIM orders distortions like the paper's 11×11 Gaussian SSIM and stays close."""
    f = pattern_frames(1, 128, 96, seed=4)[..., 1]
    rng = np.random.default_rng(0)
    ours, reference = [], []
    for amp in (2, 8, 24):
        noisy = np.clip(f.astype(int) + rng.integers(-amp, amp + 1, f.shape), 0, 255).astype(np.uint8)
        ours.append(float(metrics.ssim_psnr(noisy, f)[0][0]))
        reference.append(_gaussian_ssim(noisy[0], f[0]))
    assert ours == sorted(ours, reverse=True) and reference == sorted(reference, reverse=True)
    # close where verdicts are made (near 1), a little kinder to heavy noise (a larger window)
    assert abs(ours[0] - reference[0]) < 0.01
    assert max(abs(x - y) for x, y in zip(ours, reference, strict=True)) < 0.08


def _gaussian_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004: 11-tap Gaussian window, σ = 1.5, 'valid' borders (a slow reference)."""
    x = np.arange(11) - 5.0
    g = np.exp(-(x**2) / 4.5)
    g /= g.sum()

    def blur(img: np.ndarray) -> np.ndarray:
        rows = np.apply_along_axis(lambda r: np.convolve(r, g, "valid"), 1, img)
        return np.apply_along_axis(lambda c: np.convolve(c, g, "valid"), 0, rows)

    a, b = a.astype(float), b.astype(float)
    ma, mb = blur(a), blur(b)
    saa, sbb, sab = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(a * b) - ma * mb
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return float(np.mean(((2 * ma * mb + c1) * (2 * sab + c2)) / ((ma**2 + mb**2 + c1) * (saa + sbb + c2))))


def test_torch_agrees_with_numpy_within_the_stated_tolerance() -> None:
    pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a = pattern_frames(5, 96, 64, seed=1)[..., 0]
    b = np.clip(a.astype(int) + rng.integers(-6, 7, a.shape), 0, 255).astype(np.uint8)
    ref = metrics.frame_stats(a, b, device="numpy")
    acc = metrics.frame_stats(a, b, device="cpu")
    assert np.abs(ref.ssim - acc.ssim).max() <= metrics.TORCH_ATOL
    assert np.abs(ref.psnr_db - acc.psnr_db).max() <= 100 * metrics.TORCH_ATOL
    assert np.abs(ref.blocks_actual - acc.blocks_actual).max() <= metrics.TORCH_ATOL


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
