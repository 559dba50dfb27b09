"""A recipe's own ``check.tolerances`` decide its verdict (defaults < golden.json < recipe < flags)."""

from __future__ import annotations

from pathlib import Path

from comfyreel.checks.check_run import check_run

RECIPE = """name: tol
model: ltxv-t2v
prompt: a red ball bouncing
frames: 9
width: 96
height: 64
seed: {seed}
models:
  checkpoint: ltx-video-2b-v0.9.5.safetensors
{check}"""

LOOSE = (
    "check:\n  tolerances:\n    min_ssim: 0\n    min_mean_ssim: 0\n    min_psnr_db: 0\n"
    "    max_delta_e: 100\n    max_motion_diff: 100\n    max_flicker: 255\n"
)


def _run(tmp_path: Path, url: str, seed: int, check: str):
    from comfyreel.runner.session import RunOptions, run_recipe

    path = tmp_path / "recipes" / "tol.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RECIPE.format(seed=seed, check=check))
    return run_recipe(path, server_url=url, out_dir=tmp_path / "runs", options=RunOptions(timeout_s=60))


def test_recipe_tolerances_apply(tmp_path: Path, comfy_fake) -> None:
    goldens = tmp_path / "goldens"
    check_run(_run(tmp_path, comfy_fake.url, 1, "").run_dir, goldens, update=True)
    strict = check_run(_run(tmp_path, comfy_fake.url, 2, "").run_dir, goldens)
    assert not strict.ok  # another seed is a regression under the default tolerances
    loose = check_run(_run(tmp_path, comfy_fake.url, 2, LOOSE).run_dir, goldens)
    assert loose.ok, loose.summary_lines()  # ... and passes when the recipe itself allows any content
