"""Each gate of ``compare_files`` decides on its own: with every other gate open, moving its limit
across the measured value flips the verdict (a deleted gate fails here). Public behaviour only:
``compare_files``, ``Tolerances`` fields, reason codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from comfyreel.checks import synth
from comfyreel.checks.compare import compare_files
from comfyreel.checks.tolerances import Tolerances
from comfyreel.fake.media import write_animated
from comfyreel.runner.errors import MediaUnreadable

#: Every picture gate open: only the gate under test can fail a comparison.
OPEN = {"min_ssim": 0.0, "min_mean_ssim": 0.0, "max_delta_e": 1e6, "max_motion_diff": 1e6, "max_flicker": 1e6}


def codes(c) -> set[str]:
    return {r.code for r in c.reasons}


def test_psnr_gate_alone_fails_a_clip_below_it(clips: dict[str, Path]) -> None:
    measured = compare_files(clips["seed"], clips["golden"], Tolerances(**OPEN, min_psnr_db=0.0))
    assert measured.ok, measured.summary_lines()
    psnr = measured.metrics["min_psnr_db"]
    assert 0 < psnr < 100
    above = compare_files(clips["seed"], clips["golden"], Tolerances(**OPEN, min_psnr_db=psnr + 0.5))
    assert not above.ok and codes(above) == {"psnr"}
    below = compare_files(clips["seed"], clips["golden"], Tolerances(**OPEN, min_psnr_db=psnr - 0.5))
    assert below.ok, below.summary_lines()


def _write_stereo_wav(path: Path, mono: np.ndarray, rate: int = 24000) -> Path:
    import av

    flat = np.asarray(mono, dtype=np.float32).reshape(-1)
    planar = np.ascontiguousarray(np.stack([flat, flat]))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def test_audio_channel_count_is_checked(tmp_path: Path) -> None:
    """The same tone in stereo and in mono: with the spectrum gate open (a downmix changes the level),
    only the channel count tells them apart, and it must."""
    tone = synth.tone(0.5)
    mono = synth.write_audio(tmp_path / "mono.wav", tone)
    stereo = _write_stereo_wav(tmp_path / "stereo.wav", tone)
    c = compare_files(stereo, mono, Tolerances(audio_spectrum_db=1e6))
    assert not c.ok and codes(c) == {"audio_channels"}
    assert compare_files(_write_stereo_wav(tmp_path / "stereo2.wav", tone * 0.99), stereo).ok


def test_animated_webp_is_refused_with_the_fix(tmp_path: Path) -> None:
    """SaveAnimatedWEBP writes one animated .webp (as the fake now does); FFmpeg decodes none of its
    frames, so compare says so and names the fix instead of "no frames or no size"."""
    clip = tmp_path / "anim_00001_.webp"
    write_animated(clip, "k", 32, 32, 4, 6.0, "webp")
    with pytest.raises(MediaUnreadable) as info:
        compare_files(clip, clip)
    assert "animated WebP" in info.value.message and "SaveVideo" in (info.value.hint or "")
    assert info.value.anchor == str(clip)
