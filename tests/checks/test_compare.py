"""compare_files: every regression kind of issue 5 is caught, and the pass cases pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from comfyreel.checks.compare import compare_files
from comfyreel.checks.tolerances import Tolerances
from comfyreel.runner.errors import MediaUnreadable


def codes(c) -> set[str]:
    return {r.code for r in c.reasons}


@pytest.mark.parametrize("variant", ["reencode_crf", "reencode_bitrate", "reencode_mkv"])
def test_reencode_of_the_same_frames_passes(clips: dict[str, Path], variant: str) -> None:
    c = compare_files(clips[variant], clips["golden"])
    assert c.ok, c.summary_lines()
    assert not c.identical
    assert c.metrics["frames_compared"] == 17
    assert 0.85 < c.metrics["min_ssim"] < 1.0


def test_bit_identical_matches_without_decoding(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import comfyreel.checks.compare as compare
    import comfyreel.checks.lockstep as lockstep

    def no_decode(*a, **k):
        raise AssertionError("identical files must not be decoded")

    monkeypatch.setattr(lockstep, "iter_frames", no_decode)
    monkeypatch.setattr(compare, "decode_audio", no_decode)
    c = compare.compare_files(clips["copy"], clips["golden"])
    assert c.ok and c.identical
    assert c.metrics["min_ssim"] == 1.0 and c.metrics["audio_spectrum_db"] == 0.0


def test_same_file_compared_with_itself_by_decoding_scores_perfect(clips: dict[str, Path]) -> None:
    c = compare_files(clips["golden"], clips["reencode_crf"])  # direction swapped: still fine
    assert c.ok
    assert all(0 <= w.index < 17 for w in c.worst)


@pytest.mark.parametrize("variant", ["seed", "lora"])
def test_different_content_is_a_regression(clips: dict[str, Path], variant: str) -> None:
    c = compare_files(clips[variant], clips["golden"])
    assert not c.ok
    assert {"ssim", "mean_ssim"} <= codes(c)
    assert "frame_count" not in codes(c) and "size" not in codes(c)
    assert c.worst and c.worst[0].ssim < 0.85
    assert c.worst[0].ssim == min(c.ssim)


@pytest.mark.parametrize("variant, delta", [("drop", -1), ("dup", 1)])
def test_one_dropped_or_duplicated_frame_is_caught(clips: dict[str, Path], variant: str, delta: int) -> None:
    c = compare_files(clips[variant], clips["golden"])
    assert not c.ok
    assert "frame_count" in codes(c)
    assert c.actual_info.video.frames == 17 + delta
    # the frames before the change still match; the note says where they diverge
    assert min(c.ssim[:8]) > 0.95
    assert any("diverge" in n for n in c.notes)


def test_frame_count_tolerance_can_allow_one_frame(clips: dict[str, Path]) -> None:
    c = compare_files(clips["drop"], clips["golden"], Tolerances(frame_count_delta=1, duration_s=1.0))
    assert "frame_count" not in codes(c)


def test_missing_audio_is_caught(clips: dict[str, Path]) -> None:
    c = compare_files(clips["noaudio"], clips["golden"])
    assert codes(c) == {"audio_missing"}, c.summary_lines()
    assert compare_files(clips["noaudio"], clips["golden"], Tolerances(audio_required=False)).ok


def test_unexpected_audio_is_caught(clips: dict[str, Path]) -> None:
    c = compare_files(clips["golden"], clips["noaudio"])
    assert codes(c) == {"audio_extra"}


def test_changed_resolution_is_caught(clips: dict[str, Path]) -> None:
    c = compare_files(clips["size"], clips["golden"])
    assert "size" in codes(c)
    assert "128×96" in next(r.message for r in c.reasons if r.code == "size")


def test_changed_fps_is_caught(clips: dict[str, Path]) -> None:
    c = compare_files(clips["fps"], clips["golden"])
    assert {"fps", "duration"} <= codes(c)


def test_codec_change_is_a_regression_unless_allowed(clips: dict[str, Path]) -> None:
    tol = Tolerances(audio_required=False)
    c = compare_files(clips["vp9"], clips["golden"], tol)
    assert codes(c) == {"codec"}
    relaxed = compare_files(
        clips["vp9"], clips["golden"], Tolerances(audio_required=False, codec_must_match=False)
    )
    assert relaxed.ok and any("codec" in n for n in relaxed.notes)


def test_images_compare(clips: dict[str, Path]) -> None:
    assert compare_files(clips["img_jpeg"], clips["img_golden"], Tolerances(codec_must_match=False)).ok
    c = compare_files(clips["img_other"], clips["img_golden"])
    assert c.kind == "image" and "ssim" in codes(c)


def test_kind_mismatch(clips: dict[str, Path]) -> None:
    c = compare_files(clips["img_golden"], clips["golden"])
    assert codes(c) == {"kind"}


def test_audio_files_compare(clips: dict[str, Path]) -> None:
    ok = compare_files(clips["flac_same"], clips["wav_golden"])
    assert ok.ok and ok.kind == "audio" and ok.audio_spectrum_db < 1.0
    assert compare_files(
        clips["m4a_same"], clips["wav_golden"], Tolerances(duration_s=0.2)
    ).ok  # lossy re-encode
    for other in ("wav_silence", "wav_pitch"):
        bad = compare_files(clips[other], clips["wav_golden"])
        assert "audio_content" in codes(bad), other


def test_different_audio_track_in_a_video_is_caught(clips: dict[str, Path]) -> None:
    c = compare_files(clips["other_audio"], clips["golden"])
    assert codes(c) == {"audio_content"}, c.summary_lines()
    assert c.metrics["min_ssim"] > 0.95 and c.metrics["audio_spectrum_db"] > 3.0


@pytest.mark.parametrize("name", ["garbage", "truncated"])
def test_unreadable_input_raises_media_unreadable(clips: dict[str, Path], name: str) -> None:
    with pytest.raises(MediaUnreadable) as info:
        compare_files(clips[name], clips["golden"])
    assert name in (info.value.anchor or "")
    assert info.value.exit_code == 2


def test_missing_file_is_unreadable(tmp_path: Path, clips: dict[str, Path]) -> None:
    with pytest.raises(MediaUnreadable, match="not found"):
        compare_files(tmp_path / "nope.mp4", clips["golden"])


def test_to_dict_is_json_ready(clips: dict[str, Path]) -> None:
    import json

    c = compare_files(clips["seed"], clips["golden"])
    data = json.loads(json.dumps(c.to_dict(per_frame=True)))
    assert data["ok"] is False
    assert len(data["per_frame"]["ssim"]) == 17
    assert data["reasons"][0]["code"]


def test_collect_images_gives_keyframes_and_heatmap(clips: dict[str, Path]) -> None:
    c = compare_files(clips["lora"], clips["golden"], collect_images=True)
    img = c.images
    assert img is not None and img.keyframes[0] == 0 and img.keyframes[-1] == 16
    assert img.actual[0].shape[2] == 3 and img.heat is not None
    assert img.heat.shape == (64, 96) and float(img.heat.mean()) > 0.1


def test_without_torch_every_metric_is_computed_and_torch_devices_name_the_extra(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from comfyreel.cli import main

    monkeypatch.setitem(sys.modules, "torch", None)
    assert compare_files(clips["copy"], clips["golden"]).identical
    c = compare_files(clips["reencode_crf"], clips["golden"])
    assert c.ok and c.device == "numpy"
    assert all(v is not None for v in c.metrics.values()), c.metrics
    assert main(["compare", str(clips["reencode_crf"]), str(clips["golden"])]) == 0
    assert main(["compare", str(clips["reencode_crf"]), str(clips["golden"]), "--device", "cpu"]) == 2
    assert "comfyreel[torch]" in capsys.readouterr().err


def test_torch_path_gives_the_same_verdict_and_metrics(clips: dict[str, Path]) -> None:
    pytest.importorskip("torch")
    from comfyreel.checks.metrics import TORCH_ATOL

    for name in ("reencode_crf", "seed"):
        ref = compare_files(clips[name], clips["golden"], device="numpy")
        acc = compare_files(clips[name], clips["golden"], device="cpu")
        assert (ref.ok, [r.code for r in ref.reasons]) == (acc.ok, [r.code for r in acc.reasons])
        assert np.abs(np.subtract(ref.ssim, acc.ssim)).max() <= TORCH_ATOL
        assert abs(ref.motion_diff - acc.motion_diff) <= TORCH_ATOL
        assert abs(ref.flicker - acc.flicker) <= TORCH_ATOL


def test_unavailable_device_is_a_usage_error(clips: dict[str, Path]) -> None:
    torch = pytest.importorskip("torch")
    from comfyreel.compiler.errors import UsageError

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(UsageError, match="not available"):
        compare_files(clips["reencode_crf"], clips["golden"], device="cuda")
