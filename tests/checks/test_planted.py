"""Every planted regression is caught by the metric meant for it; every harmless change passes.

The clips come from ``checks.plant.build_cases`` (the same ones ``benchmarks/metric_margins.py``
measures), judged under the default tolerances.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.checks import plant
from comfyreel.checks.compare import compare_files
from comfyreel.checks.tolerances import Tolerances


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    return plant.build_cases(tmp_path_factory.mktemp("planted"), n=25, width=192, height=128)


# the reason each regression must produce (others may come with it)
CAUGHT_BY = {
    "seed": "ssim",
    "style": "colour",
    "cast": "colour",
    "frozen": "motion",
    "static": "motion",
    "speed": "motion",
    "flicker": "flicker",
    "drop": "frame_count",
    "dup": "frame_count",
    "ten_bit_half": "ssim",
    "audio_other": "audio_content",
    "audio_missing": "audio_missing",
}


def test_every_planted_case_has_an_expectation() -> None:
    assert set(CAUGHT_BY) == set(plant.FAIL_CASES)


@pytest.mark.parametrize("name", sorted(plant.PASS_CASES))
def test_harmless_changes_pass(cases, name: str) -> None:
    c = compare_files(*cases[name])
    assert c.ok, c.summary_lines()


@pytest.mark.parametrize("name", sorted(plant.FAIL_CASES))
def test_planted_regressions_are_caught(cases, name: str) -> None:
    c = compare_files(*cases[name])
    assert CAUGHT_BY[name] in {r.code for r in c.reasons}, c.summary_lines()


def test_a_colour_cast_with_the_same_luma_passes_every_luma_metric(cases) -> None:
    """Only ΔE sees it: luma SSIM and PSNR stay at re-encode levels (the issue's 0.989 case)."""
    c = compare_files(*cases["cast"])
    assert {r.code for r in c.reasons} == {"colour"}
    assert c.metrics["min_ssim"] > 0.95 and c.metrics["max_delta_e"] > Tolerances().max_delta_e


def test_a_still_video_is_reported_as_less_motion(cases) -> None:
    """An image-to-video that stayed still: the motion profile says it changes less than the golden."""
    c = compare_files(*cases["static"])
    reason = next(r for r in c.reasons if r.code == "motion")
    assert "less change between frames" in reason.message
    assert c.motion_diff == pytest.approx(1.0, abs=0.05)


def test_flicker_is_found_where_luma_ssim_and_psnr_pass(cases) -> None:
    c = compare_files(*cases["flicker"])
    assert "flicker" in {r.code for r in c.reasons}
    assert (
        c.metrics["min_ssim"] > Tolerances().min_ssim and c.metrics["min_psnr_db"] > Tolerances().min_psnr_db
    )


def test_the_ten_bit_change_is_seen_on_the_right_half(cases) -> None:
    """The old decoder read 10-bit samples as bytes and compared only the left half (SSIM 1.0)."""
    c = compare_files(*cases["ten_bit_half"])
    assert c.metrics["min_ssim"] < 0.7
    assert compare_files(*cases["ten_bit_crf"]).ok


def test_chroma_ssim_would_miss_the_cast_that_delta_e_sees() -> None:
    """Why colour is ΔE: SSIM on the chroma planes scores the planted cast like a re-encode."""
    import numpy as np
    from comfyreel.checks import colour, metrics, synth

    frames = synth.pattern_frames(3, 128, 96, seed=1)
    cast = plant.colour_cast(frames, -12, 12)
    to_ycc = np.array([[-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])

    def chroma(rgb: np.ndarray) -> np.ndarray:
        return np.clip(rgb.astype(float) @ to_ycc.T + 128, 0, 255).astype(np.uint8)

    for plane in (0, 1):
        ssim, _ = metrics.ssim_psnr(chroma(cast)[..., plane], chroma(frames)[..., plane])
        assert ssim.min() > 0.97
    assert colour.frame_delta_e(cast, frames).min() > Tolerances().max_delta_e
