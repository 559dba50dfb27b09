"""`doctor` and `snapshot` against a real ComfyUI (runs only with COMFYUI_URL set).

The doctor flow needs the server's models folder on this machine: it is read from the server's
``--base-directory`` flag, or COMFYUI_MODELS_DIR. The seed recipe's files are 4 KiB dummies; the
test leaves every one of them in place at the end (what the other real-server tests expect).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests
from comfyreel.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "recipes" / "hello-wave-ltx2-8gb.yaml")
SEED_FILES = {
    "checkpoints": "ltx-2-19b-dev-fp8.safetensors",
    "text_encoders": "gemma_3_12B_it_fp4_mixed.safetensors",
    "loras": "ltx-2-19b-distilled-lora-384.safetensors",
    "latent_upscale_models": "ltx-2-spatial-upscaler-x2-1.0.safetensors",
}


@pytest.fixture
def models_dir(comfyui_url: str) -> Path:
    from comfyreel.runner.preflight import models_dir_of

    stats = requests.get(f"{comfyui_url}/system_stats", timeout=10).json()
    path = Path(os.environ.get("COMFYUI_MODELS_DIR") or models_dir_of(stats))
    if not path.is_dir():
        pytest.skip(f"the server's models folder {path} is not on this machine (set COMFYUI_MODELS_DIR)")
    return path


def _place(models_dir: Path, folder: str) -> None:
    target = models_dir / folder / SEED_FILES[folder]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(os.urandom(4096))


@pytest.mark.real
def test_real_doctor_lists_missing_files_then_passes(comfyui_url: str, models_dir: Path, capsys) -> None:
    for folder, name in SEED_FILES.items():
        (models_dir / folder / name).unlink(missing_ok=True)
    try:
        _place(models_dir, "text_encoders")
        assert main(["doctor", "--server", comfyui_url, SEED]) == 1
        out = capsys.readouterr().out
        for folder in ("checkpoints", "loras", "latent_upscale_models"):
            name = SEED_FILES[folder]
            assert re.search(rf"FAIL .*model\s+{re.escape(name)}\s+missing from models/{folder}", out), out
            assert f"{models_dir}/{folder}/{name} https://huggingface.co/" in out
        assert re.search(rf"ok .*{SEED_FILES['text_encoders']}\s+present in models/text_encoders", out)
    finally:
        for folder in SEED_FILES:
            _place(models_dir, folder)
    assert main(["doctor", "--server", comfyui_url, SEED, "--json"]) == 0, capsys.readouterr().out
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["server"]["comfyui_version"]


@pytest.mark.real
def test_real_snapshot_offline_validate_matches_online(comfyui_url: str, tmp_path: Path, capsys) -> None:
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "nope.safetensors"}},
        "2": {"class_type": "VHS_VideoCombine", "inputs": {}},
        "3": {
            "class_type": "EmptyImage",
            "inputs": {"width": 99999, "height": 64, "batch_size": 1, "color": 0},
        },
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"}},
    }
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    snap = tmp_path / "snap.json"
    assert main(["snapshot", "--server", comfyui_url, "-o", str(snap)]) == 0
    capsys.readouterr()
    assert main(["validate", str(path), "--server", comfyui_url, "--json"]) == 1
    online = json.loads(capsys.readouterr().out)
    assert main(["validate", str(path), "--object-info", str(snap), "--json"]) == 1
    offline = json.loads(capsys.readouterr().out)

    def keys(report: dict) -> list[tuple]:
        src = report["object_info"]["source"]
        return [
            (
                f["rule"],
                f["node_id"],
                f["input"],
                f["message"].replace(src, "<s>"),
                (f["fix"] or "").replace(src, "<s>"),
            )
            for f in report["findings"]
        ]

    assert (
        keys(online) == keys(offline) and online["object_info"]["sha256"] == offline["object_info"]["sha256"]
    )
    vhs = [f for f in online["findings"] if f["rule"] == "unknown-node"]
    assert vhs and "comfy node install comfyui-videohelpersuite" in vhs[0]["fix"]
