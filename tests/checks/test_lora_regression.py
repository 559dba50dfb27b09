"""The README's promise: a swapped, removed or re-weighted LoRA is caught, on the fake ComfyUI.

The fake's pixels are a function of the graph's meaning (LoRA name and strength included), so
these renders differ the way a real LoRA change makes them differ: in content, not in metadata.
The verdict must come from the pixels (``compare``), not only from the manifests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.checks.check_run import check_run

STYLE_A = "ltx-2-19b-lora-camera-control-dolly-left.safetensors"
STYLE_B = "ltx-2-19b-distilled-lora-384.safetensors"
RECIPE = """name: styled
model: ltxv-t2v
prompt: a red ball bouncing
frames: 9
width: 96
height: 64
seed: 5
models:
  checkpoint: ltx-video-2b-v0.9.5.safetensors
{loras}"""


def _render(tmp_path: Path, url: str, loras: str):
    from comfyreel.runner.session import RunOptions, run_recipe

    path = tmp_path / "recipes" / "styled.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(RECIPE.format(loras=loras))
    return run_recipe(path, server_url=url, out_dir=tmp_path / "runs", options=RunOptions(timeout_s=60))


def _lora(name: str, strength: float) -> str:
    return f"loras:\n  - name: {name}\n    strength: {strength}\n"


@pytest.mark.parametrize(
    "change",
    [pytest.param(_lora(STYLE_B, 0.8), id="swapped"), pytest.param("", id="missing")],
)
def test_a_swapped_or_missing_lora_fails_on_its_pixels(tmp_path: Path, comfy_fake, change: str) -> None:
    goldens = tmp_path / "goldens"
    golden_run = _render(tmp_path, comfy_fake.url, _lora(STYLE_A, 0.8))
    assert check_run(golden_run.run_dir, goldens, update=True).ok
    assert check_run(_render(tmp_path, comfy_fake.url, _lora(STYLE_A, 0.8)).run_dir, goldens).ok

    result = check_run(_render(tmp_path, comfy_fake.url, change).run_dir, goldens)
    assert not result.ok
    (video,) = [o for o in result.outputs if o.comparison is not None and o.comparison.kind == "video"]
    cmp = video.comparison
    assert not cmp.identical and not cmp.ok
    assert {"ssim", "colour"} & {r.code for r in cmp.reasons}, cmp.summary_lines()
