"""`calibrate`: thresholds from measured re-render noise (issue 13), on the fake with and without noise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.checks.calibrate import calibrate_recipe, metric_limits
from comfyreel.checks.check_run import check_run
from comfyreel.checks.tolerances import Tolerances
from comfyreel.cli import main
from comfyreel.runner.manifest import Manifest
from comfyreel.runner.session import RunOptions, run_recipe

RECIPE = """name: calib
model: ltxv-t2v
prompt: a red ball bouncing
frames: 9
fps: 24
width: 96
height: 64
seed: 3
models:
  checkpoint: ltx-video-2b-v0.9.5.safetensors
"""
DEFAULTS = Tolerances()


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "calib.yaml"
    path.write_text(RECIPE)
    return path


def _calibrate(recipe: Path, url: str, root: Path, renders: int = 3):  # type: ignore[no-untyped-def]
    return calibrate_recipe(
        recipe, server_url=url, golden_root=root / "goldens", out_dir=root / "runs", renders=renders
    )


def test_on_the_deterministic_fake_the_documented_defaults_apply(
    comfy_fake, recipe: Path, tmp_path: Path
) -> None:
    cal = _calibrate(recipe, comfy_fake.url, tmp_path)
    assert len(cal.runs) == 3 and cal.pairs == 3 and cal.recorded_golden
    for run in cal.runs:  # the cache was busted: every node ran, no output came from a cache
        m = Manifest.load(run)
        assert m.cache_bust and not m.cached_nodes
    keys = cal.keys
    assert {"min_ssim", "min_mean_ssim", "min_psnr_db"} <= set(keys)
    assert keys["min_ssim"].noise == 1.0 and keys["min_psnr_db"].noise == 100.0  # spread 0
    assert all(c.source == "default" for c in keys.values())
    meta = json.loads((tmp_path / "goldens" / "calib" / "golden.json").read_text())
    for key in ("min_ssim", "min_mean_ssim", "min_psnr_db"):
        assert meta["tolerances"][key] == getattr(DEFAULTS, key)
    assert meta["calibration"]["renders"] == 3 and meta["calibration"]["margin"] == 2.0
    noise = {row["key"]: row["noise"] for row in meta["calibration"]["limits"]}
    assert noise["min_ssim"] == 1.0
    text = "\n".join(cal.summary_lines())
    assert "noise floor" in text and "threshold" in text and "default (noise within it)" in text


def test_with_injected_noise_the_thresholds_follow_it(comfy_fake, recipe: Path, tmp_path: Path) -> None:
    comfy_fake.faults.pixel_noise = 6
    small = _calibrate(recipe, comfy_fake.url, tmp_path / "small")
    comfy_fake.faults.pixel_noise = 20
    big = _calibrate(recipe, comfy_fake.url, tmp_path / "big")
    for cal in (small, big):
        c = cal.keys["min_ssim"]
        assert c.noise is not None and c.noise < 1.0 and c.source == "noise"
        assert c.threshold == pytest.approx(1.0 - 2.0 * (1.0 - c.noise))  # margin ×2 of the noise
        assert cal.tolerances()["min_ssim"] <= c.noise  # the measured noise itself passes
    assert big.keys["min_ssim"].threshold < small.keys["min_ssim"].threshold < DEFAULTS.min_ssim
    psnr = big.keys["min_psnr_db"]
    assert psnr.source == "noise" and psnr.threshold == pytest.approx(psnr.noise - 3.0103, abs=1e-3)
    delta_e = big.keys["max_delta_e"]  # a metric calibrate.py does not name: found in the comparison
    assert delta_e.source == "noise" and delta_e.threshold == pytest.approx(2.0 * delta_e.noise)

    # one more noisy render: it passes the calibrated golden, and the defaults would fail it
    root = tmp_path / "big" / "goldens"
    more = run_recipe(recipe, server_url=comfy_fake.url, out_dir=tmp_path / "more", options=RunOptions())
    assert check_run(more.run_dir, root).ok
    defaults = {k: getattr(DEFAULTS, k) for k in big.keys}
    assert not check_run(more.run_dir, root, overrides=defaults).ok


def test_metric_limits_are_read_from_the_metrics_not_listed() -> None:
    limits = {lim.key: (lim.metric, lim.bound) for lim in metric_limits({"min_ssim": 1, "mean_ssim": 1})}
    assert limits == {"min_ssim": ("min_ssim", "lower"), "min_mean_ssim": ("mean_ssim", "lower")}
    both = {lim.key for lim in metric_limits({"min_psnr_db": 1, "audio_spectrum_db": 0})}
    assert both == {"min_psnr_db", "audio_spectrum_db"}


def test_cli_prints_noise_next_to_thresholds(comfy_fake, recipe: Path, tmp_path: Path, capsys) -> None:
    args = ["--server", comfy_fake.url, "--golden", str(tmp_path / "g"), "--out", str(tmp_path / "r")]
    assert main(["calibrate", str(recipe), "--renders", "1", *args]) == 2
    capsys.readouterr()
    assert main(["calibrate", str(recipe), "--renders", "2", *args]) == 0
    out = capsys.readouterr().out
    assert "noise floor" in out and "min_ssim" in out and "golden.json" in out
    assert main(["calibrate", str(recipe), "--renders", "2", "--json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["renders"] == 2 and data["tolerances"]["min_ssim"] == DEFAULTS.min_ssim
    assert not data["recorded_golden"]  # the second time, the golden existed already


def test_a_compiled_graph_calibrates_too(comfy_fake, recipe: Path, tmp_path: Path, capsys) -> None:
    graph = tmp_path / "calib.json"
    assert main(["compile", str(recipe), "-o", str(graph)]) == 0
    capsys.readouterr()
    args = ["--server", comfy_fake.url, "--golden", str(tmp_path / "g"), "--out", str(tmp_path / "r")]
    assert main(["calibrate", str(graph), "--renders", "2", "--json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"] == 1 and data["recorded_golden"]
    assert (tmp_path / "g" / data["recipe"] / "golden.json").is_file()


def test_a_failing_check_shows_the_noise_floor_next_to_each_threshold(
    comfy_fake, recipe: Path, tmp_path: Path
) -> None:
    from comfyreel.checks.html import write_html

    comfy_fake.faults.pixel_noise = 6
    cal = _calibrate(recipe, comfy_fake.url, tmp_path, renders=2)
    comfy_fake.faults.pixel_noise = 0
    (tmp_path / "calib.yaml").write_text(RECIPE.replace("seed: 3", "seed: 4"))  # a regression
    bad = run_recipe(tmp_path / "calib.yaml", server_url=comfy_fake.url, out_dir=tmp_path / "o")
    rc = check_run(bad.run_dir, tmp_path / "goldens", collect_images=True)
    assert not rc.ok
    floor = cal.keys["min_ssim"].noise
    row = f"min_ssim ≥ {cal.tolerances()['min_ssim']:g} (noise floor {round(floor, 5):g})"
    text = "\n".join(rc.summary_lines())
    assert row in text and "calibrated from 2 renders" in text
    html = write_html([rc], tmp_path / "r.html").read_text()
    assert "Tolerances calibrated from 2 renders" in html and row in html
