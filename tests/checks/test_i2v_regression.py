"""Image-to-video end to end on the fake, through the CLI: another start image is another video,
and `comfyreel check` against the first run's golden fails for it (issue 10)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from comfyreel.checks.synth import pattern_frames, write_image
from comfyreel.cli import main

RECIPE = """name: i2v-start
model: ltx2
prompt: A red box slides slowly to the right
image: start.png
seconds: 1
fps: 24
width: 256
height: 192
seed: 11
"""


def _run(tmp_path: Path, url: str, out: str) -> Path:
    assert main(["run", str(tmp_path / "i2v.yaml"), "--server", url, "--out", str(tmp_path / out)]) == 0
    (run_dir,) = (tmp_path / out).iterdir()
    return run_dir


def _video(run_dir: Path) -> bytes:
    (video,) = (run_dir / "outputs").glob("*.mp4")
    return video.read_bytes()


def test_other_start_image_gives_another_video_and_fails_the_golden(comfy_fake, tmp_path, capsys):
    (tmp_path / "i2v.yaml").write_text(RECIPE, encoding="utf-8")
    write_image(tmp_path / "start.png", pattern_frames(1, 256, 192, seed=1)[0])
    first = _run(tmp_path, comfy_fake.url, "runs1")
    golden = tmp_path / "goldens"
    assert main(["check", str(first), "--golden", str(golden), "--update-golden"]) == 0
    assert main(["check", str(first), "--golden", str(golden)]) == 0

    write_image(tmp_path / "start.png", pattern_frames(1, 256, 192, seed=2)[0])  # same recipe, new image
    second = _run(tmp_path, comfy_fake.url, "runs2")
    assert hashlib.sha256(_video(first)).digest() != hashlib.sha256(_video(second)).digest()
    capsys.readouterr()
    assert main(["check", str(second), "--golden", str(golden)]) == 1  # the regression is visible
    assert len([u for u in comfy_fake.uploads if u.written]) == 2  # one upload per start image
