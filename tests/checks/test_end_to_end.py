"""End to end on the fake ComfyUI: recipe → run → golden → check → HTML; rerun from a manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.checks.check_run import check_run
from comfyreel.checks.rerun import rerun_manifest
from comfyreel.cli import main

RECIPE = """name: tiny
model: ltxv-t2v
prompt: a red ball bouncing
frames: 9
fps: 24
width: 96
height: 64
seed: {seed}
models:
  checkpoint: ltx-video-2b-v0.9.5.safetensors
"""


def _recipe(tmp_path: Path, seed: int) -> Path:
    path = tmp_path / "recipes" / "tiny.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RECIPE.format(seed=seed))
    return path


def test_recipe_run_golden_check_and_html(
    tmp_path: Path, comfy_fake, capsys: pytest.CaptureFixture[str]
) -> None:
    from comfyreel.runner.session import RunOptions, run_recipe

    opts = RunOptions(timeout_s=60)
    goldens, runs = tmp_path / "goldens", tmp_path / "runs"
    first = run_recipe(_recipe(tmp_path, 1), server_url=comfy_fake.url, out_dir=runs, options=opts)
    assert main(["check", str(first.run_dir), "--golden", str(goldens)]) == 1  # no golden yet
    assert "--update-golden" in capsys.readouterr().out
    assert main(["check", str(first.run_dir), "--golden", str(goldens), "--update-golden"]) == 0
    assert (goldens / "tiny" / "golden.json").is_file()

    again = run_recipe(_recipe(tmp_path, 1), server_url=comfy_fake.url, out_dir=runs, options=opts)
    same = check_run(again.run_dir, goldens)
    assert same.ok and all(o.comparison and o.comparison.identical for o in same.outputs)

    other = run_recipe(_recipe(tmp_path, 2), server_url=comfy_fake.url, out_dir=runs, options=opts)
    html = tmp_path / "report.html"
    junit = tmp_path / "junit.xml"
    code = main(
        ["check", str(other.run_dir), "--golden", str(goldens), "--html", str(html), "--junit", str(junit)]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "changed since the golden was recorded" in out and "seed 1 → 2" in out
    text = html.read_text()
    assert "data:image/jpeg;base64," in text and "data:image/png;base64," in text
    assert "tiny" in text and "FAIL" in text and "<failure" in junit.read_text()


def test_rerun_reproduces_a_run(tmp_path: Path, comfy_fake) -> None:
    from comfyreel.runner.session import RunOptions, run_recipe

    goldens = tmp_path / "goldens"
    first = run_recipe(
        _recipe(tmp_path, 3),
        server_url=comfy_fake.url,
        out_dir=tmp_path / "runs",
        options=RunOptions(timeout_s=60),
    )
    check_run(first.run_dir, goldens, update=True)
    again = rerun_manifest(
        first.run_dir / "manifest.json", server_url=comfy_fake.url, out_dir=tmp_path / "re", timeout_s=60
    )
    assert again.run_dir != first.run_dir and again.manifest.graph.sha256 == first.manifest.graph.sha256
    assert again.manifest.recipe is not None and again.manifest.recipe.path == first.manifest.recipe.path
    assert again.manifest.recipe.name == "tiny" and again.run_dir.name.startswith("tiny-")  # not "graph-"
    assert check_run(again.run_dir, goldens).ok


def test_rerun_cli(tmp_path: Path, comfy_fake, capsys: pytest.CaptureFixture[str]) -> None:
    from comfyreel.runner.session import RunOptions, run_recipe

    first = run_recipe(
        _recipe(tmp_path, 4),
        server_url=comfy_fake.url,
        out_dir=tmp_path / "runs",
        options=RunOptions(timeout_s=60),
    )
    code = main(
        [
            "rerun",
            str(first.run_dir),
            "--server",
            comfy_fake.url,
            "--out",
            str(tmp_path / "re"),
            "--timeout",
            "60",
        ]
    )
    assert code == 0
    assert "rerun written to" in capsys.readouterr().out
    assert len(list((tmp_path / "re").iterdir())) == 1
