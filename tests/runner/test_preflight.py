"""Pre-submit checks against the fake: the doctor table, run stopping before the submit, snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.loader import load_recipe
from comfyreel.fake import FakeComfyUI

ROOT = Path(__file__).parents[2]
SEED = ROOT / "recipes" / "hello-wave-ltx2-8gb.yaml"
SEED_FILES = {
    "checkpoints": "ltx-2-19b-dev-fp8.safetensors",
    "text_encoders": "gemma_3_12B_it_fp4_mixed.safetensors",
    "loras": "ltx-2-19b-distilled-lora-384.safetensors",
    "latent_upscale_models": "ltx-2-spatial-upscaler-x2-1.0.safetensors",
}


@pytest.fixture
def sparse_fake(tmp_path: Path):
    """A fake with only the seed recipe's text encoder installed."""
    with FakeComfyUI(tmp_path / "out", models={"text_encoders": [SEED_FILES["text_encoders"]]}) as fake:
        yield fake


def test_preflight_lists_missing_and_present_files_then_passes_once_placed(sparse_fake) -> None:
    from comfyreel.runner.preflight import preflight

    report = preflight(SEED, sparse_fake.url)
    assert not report.ok
    failed = {r.item: r for r in report.failures()}
    missing = {SEED_FILES[f] for f in ("checkpoints", "loras", "latent_upscale_models")}
    assert set(failed) == missing
    for row in failed.values():
        assert "missing from models/" in row.detail and row.fix.startswith("curl -L")
    assert failed["ltx-2-19b-dev-fp8.safetensors"].fix.endswith("ltx-2-19b-dev-fp8.safetensors")
    present = [r for r in report.rows if r.status == "ok" and r.check == "model"]
    assert [r.item for r in present] == [SEED_FILES["text_encoders"]]
    for folder, name in SEED_FILES.items():
        sparse_fake.install_models(folder, [name])
    assert preflight(SEED, sparse_fake.url).ok


def test_run_stops_with_the_table_before_submitting(sparse_fake, tmp_path: Path) -> None:
    from comfyreel.runner.errors import PreflightFailed
    from comfyreel.runner.session import RunOptions, run_recipe

    with pytest.raises(PreflightFailed) as info:
        run_recipe(SEED, server_url=sparse_fake.url, out_dir=tmp_path / "runs", options=RunOptions())
    assert sparse_fake.prompts_seen == []
    text = info.value.message
    assert "nothing was submitted" in text and "FAIL" in text and "models/checkpoints" in text
    assert info.value.exit_code == 1
    assert info.value.to_dict()["preflight"]["ok"] is False


def test_unknown_pack_node_is_a_failure_with_the_install_command(comfy_fake) -> None:
    from comfyreel.compiler.graph import Graph
    from comfyreel.runner.preflight import preflight

    graph = Graph.from_data(
        {
            "1": {"class_type": "VHS_VideoCombine", "inputs": {}},
            "2": {"class_type": "SaveImage", "inputs": {}},
        },
        source="g.json",
    )
    report = preflight(graph, comfy_fake.url)
    (row,) = [r for r in report.failures() if r.check == "node"]
    assert row.item == "VHS_VideoCombine" and "comfy node install comfyui-videohelpersuite" in row.fix


def test_fit_fails_below_the_profile_vram(tmp_path: Path) -> None:
    from comfyreel.runner.preflight import preflight

    with FakeComfyUI(tmp_path / "out", vram_total=4 * 1024**3) as fake:
        report = preflight(SEED, fake.url)
    (row,) = [r for r in report.failures() if r.check == "fit"]
    assert "needs ~8 GiB VRAM" in row.detail


def test_doctor_reports_server_facts_and_regression_flags(comfy_fake, monkeypatch) -> None:
    from comfyreel.runner.preflight import doctor

    graph = compile_recipe(load_recipe(SEED))
    report = doctor(comfy_fake.url, [("seed", graph)])
    items = {(r.check, r.item) for r in report.rows if r.section == "server"}
    assert ("regression", "no --deterministic") not in items  # the fake reports both flags
    monkeypatch.setattr("comfyreel.fake.core.REPEATABLE_ARGV", ())  # a server started without them
    report = doctor(comfy_fake.url, [("seed", graph)])
    assert report.ok, report.render()
    items = {(r.check, r.item) for r in report.rows if r.section == "server"}
    assert ("regression", "no --deterministic") in items and ("regression", "no --disable-metadata") in items
    assert report.server["comfyui_version"] == "0.3.64"
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True


def test_snapshot_round_trip_offline_schema_and_fake_serving_it(tmp_path: Path) -> None:
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.runner.schema_fetch import fetch_object_info
    from comfyreel.runner.snapshot import take_snapshot, write_snapshot

    extra = {
        "MyPackNode": {
            "input": {"required": {}},
            "output": ["IMAGE"],
            "output_node": False,
            "python_module": "custom_nodes.my-pack",
        }
    }
    with FakeComfyUI(tmp_path / "a", extra_nodes=extra, version="0.8.0") as fake:
        snap = take_snapshot(fake.url)
        live = fetch_object_info(fake.url)
    path = tmp_path / "snap.json"
    write_snapshot(snap, path)
    assert snap["custom_nodes"] == ["custom_nodes.my-pack"] and snap["comfyui_version"] == "0.8.0"
    assert "ltx-2-19b-dev-fp8.safetensors" in snap["models"]["checkpoints"]
    offline = ObjectInfo.from_file(path)
    assert offline.sha256 == live.sha256 and offline.live and "MyPackNode" in offline
    assert "snapshot of http://127.0.0.1:" in offline.source

    from comfyreel.cli.serve import load_served_schema

    schema, models = load_served_schema(path)
    with FakeComfyUI(tmp_path / "b", object_info=schema, models=models) as served:
        again = fetch_object_info(served.url)
    assert "MyPackNode" in again and set(again) == set(live)
