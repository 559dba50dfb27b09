"""Bad input media: each gives exit 1 naming the file, the field and the fix, never a traceback (issue 10)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from comfyreel.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "compiler" / "media"
HEAD = "prompt: hi\nwidth: 768\nheight: 448\nseed: 7\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for media in DATA.iterdir():
        shutil.copy(media, tmp_path / media.name)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "noise.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png at all" * 10)
    return tmp_path


CASES = {
    "missing": ("model: ltx2\nframes: 49\nimage: nowhere.png\n", ["image", "nowhere.png", "not found"]),
    "empty": ("model: ltx2\nframes: 49\nimage: empty.png\n", ["image", "empty.png", "empty", "PNG or JPEG"]),
    "not decodable": (
        "model: ltx2\nframes: 49\nimage: noise.png\n",
        ["image", "noise.png", "does not decode"],
    ),
    "wrong kind (audio as image)": (
        "model: ltx2\nframes: 49\nimage: voice.wav\n",
        ["image", "voice.wav", "PNG"],
    ),
    "wrong kind (image as video)": (
        "model: ltx2\nframes: 49\ncontrol: {kind: canny, video: start.png}\n",
        ["control.video", "start.png", "is an image, not a video", "mp4"],
    ),
    "keyframe past the end": (
        "model: ltx23\nframes: 49\nkeyframes:\n  - {frame: 0, image: start.png}\n"
        "  - {frame: 64, image: end.png}\n",
        ["keyframes[1]", "outside the clip", "frame: 48"],
    ),
    "keyframe off grid": (
        "model: ltx23\nframes: 49\nkeyframes:\n  - {frame: 13, image: start.png}\n",
        ["keyframes[0]", "off the 8-frame grid", "LTXVAddGuide", "use frame 8 or 16"],
    ),
    "control video too short": (
        "model: ltx2\nframes: 97\ncontrol: {kind: canny, video: control.mp4}\n",
        ["control.video", "49 frames", "needs 97", "frames: 49"],
    ),
    "control video fps": (
        "model: ltx2\nframes: 41\nfps: 30\ncontrol: {kind: pose, video: control.mp4}\n",
        ["control.video", "24 fps", "fps: 24"],
    ),
    "audio too short": (
        "model: ltx23\nframes: 97\nimage: start.png\naudio: {file: voice.wav}\n",
        ["audio.file", "2.10 s", "frames: 49"],
    ),
    "audio not audio": (
        "model: ltx23\nframes: 49\nimage: start.png\naudio: {file: start.png}\n",
        ["audio.file", "start.png", "no audio stream", "wav"],
    ),
    "input the model lacks": ("model: ltxv\nframes: 49\nimage: start.png\n", ["image", "ltxv", "ltx2"]),
    "enhancer under 8 GB": (
        "model: ltx23\nframes: 49\nprofile: rtx4060-8gb\nprompt_enhancer: true\n",
        ["prompt_enhancer", "rtx4060-8gb", "#13954"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_media_exit_1_with_file_field_and_fix(
    folder: Path, case: str, capsys: pytest.CaptureFixture
) -> None:
    body, wanted = CASES[case]
    recipe = folder / "r.yaml"
    recipe.write_text(body + HEAD, encoding="utf-8")
    assert main(["compile", str(recipe), "-o", str(folder / "g.json")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert str(recipe) in err
    for word in wanted:
        assert word in err, (word, err)
    assert not (folder / "g.json").exists()


def test_bad_media_in_a_fresh_process_has_no_traceback(folder: Path) -> None:
    recipe = folder / "r.yaml"
    recipe.write_text(CASES["not decodable"][0] + HEAD, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from comfyreel.cli import run; run()",
            "compile",
            str(recipe),
            "-o",
            str(folder / "g.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr and "noise.png" in done.stderr


def test_aspect_mismatch_warns_with_the_fit_policy(folder: Path, capsys: pytest.CaptureFixture) -> None:
    recipe = folder / "r.yaml"
    recipe.write_text("model: ltx2\nframes: 49\nimage: start.png\nwidth: 512\nheight: 512\nprompt: hi\n")
    assert main(["compile", str(recipe), "-o", str(folder / "g.json")]) == 0
    assert "centre-cropped (fit: crop" in capsys.readouterr().err
