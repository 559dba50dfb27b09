"""Every pixel of every supported format is decoded (swscale conversions, no byte reinterpretation).

Clips are made with PyAV from the same RGB frames in 10-bit H.264, FFV1 (10-bit YUV and RGB),
ProRes 422/4444 and 8-bit 4:2:2/4:4:4 H.264; each must decode to the source's luma across the
whole width, pass against the 8-bit golden, and fail once its right half is inverted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from comfyreel.checks import plant, synth
from comfyreel.checks.compare import compare_files
from comfyreel.checks.media import iter_frames, probe
from comfyreel.checks.tolerances import Tolerances

W, H, N = 128, 96, 9
FORMATS = [  # name, encoder, encoded pix_fmt, suffix, the pix_fmt the decoder hands back
    ("h264-10bit-420", "libx264", "yuv420p10le", ".mp4", "yuv420p10le"),
    ("h264-10bit-444", "libx264", "yuv444p10le", ".mp4", "yuv444p10le"),
    ("h264-8bit-422", "libx264", "yuv422p", ".mp4", "yuv422p"),
    ("h264-8bit-444", "libx264", "yuv444p", ".mp4", "yuv444p"),
    ("ffv1-10bit-422", "ffv1", "yuv422p10le", ".mkv", "yuv422p10le"),
    ("ffv1-rgb", "ffv1", "bgr0", ".mkv", "bgr0"),
    ("prores-422-10bit", "prores_ks", "yuv422p10le", ".mov", "yuv422p10le"),
    ("prores-4444-10bit", "prores_ks", "yuv444p10le", ".mov", "yuv444p12le"),
]


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    return synth.pattern_frames(N, W, H, seed=3)


@pytest.fixture(scope="module")
def golden(source: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.write_video(tmp_path_factory.mktemp("golden") / "golden.mp4", source, crf=12)


def _write(folder: Path, name: str, frames: np.ndarray, codec: str, pix_fmt: str, suffix: str) -> Path:
    crf = 12 if codec == "libx264" else None
    return synth.write_video(folder / f"{name}{suffix}", frames, codec=codec, pix_fmt=pix_fmt, crf=crf)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(float) @ np.array([0.299, 0.587, 0.114])


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "suffix", "decoded"), FORMATS, ids=[f[0] for f in FORMATS]
)
def test_format_decodes_every_pixel_and_compares(
    tmp_path: Path,
    source: np.ndarray,
    golden: Path,
    name: str,
    codec: str,
    pix_fmt: str,
    suffix: str,
    decoded: str,
) -> None:
    deep = pix_fmt.endswith("10le")
    frames = plant.to_16bit(source) if deep else source
    clip = _write(tmp_path, name, frames, codec, pix_fmt, suffix)
    assert probe(clip).video.pix_fmt == decoded
    lumas = [f.luma for f in iter_frames(clip, (W, H))]
    assert len(lumas) == N
    for got, want in zip(lumas, _luma(source), strict=True):
        assert got.shape == (H, W) and got.dtype == np.uint8
        # both halves: the old reader returned the left half's bytes for a 10-bit frame
        assert np.abs(got[:, : W // 2] - want[:, : W // 2]).mean() < 3
        assert np.abs(got[:, W // 2 :] - want[:, W // 2 :]).mean() < 3
    relaxed = Tolerances(codec_must_match=False, audio_required=False)
    c = compare_files(clip, golden, relaxed)
    assert c.ok, c.summary_lines()
    inverted = plant.invert_right_half(plant.to_16bit(source))
    if not deep:
        inverted = (inverted // 257).astype(np.uint8)
    bad = compare_files(_write(tmp_path, f"{name}-bad", inverted, codec, pix_fmt, suffix), golden, relaxed)
    assert {"ssim", "colour"} <= {r.code for r in bad.reasons}, bad.summary_lines()


def test_full_and_limited_range_agree(tmp_path: Path, source: np.ndarray) -> None:
    """A full-range (yuvj420p) file and a limited-range one of the same frames compare as equal."""
    limited = synth.write_video(tmp_path / "tv.mp4", source, crf=12)
    full = synth.write_video(tmp_path / "pc.mp4", source, crf=12, pix_fmt="yuvj420p")
    c = compare_files(full, limited, Tolerances(audio_required=False))
    assert c.ok and c.metrics["max_delta_e"] < 2.0, c.summary_lines()


def test_thumbnails_are_sharp_even_when_the_luma_is_tiny(tmp_path: Path, source: np.ndarray) -> None:
    """Report and contact-sheet thumbnails come from the full frame when the analysis size is smaller."""
    clip = synth.write_video(tmp_path / "clip.mp4", source, crf=12)
    frames = list(iter_frames(clip, (8, 8), rgb_size=(W, H)))
    assert frames[0].luma.shape == (8, 8) and frames[0].thumb.shape == (H, W, 3)
    for got, want in zip(frames, source, strict=True):
        assert np.abs(got.thumb.astype(int) - want).mean() < 4
