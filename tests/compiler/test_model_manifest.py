"""The model manifest: cited entries, every shipped recipe covered, graph walk and download commands."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from comfyreel.compiler.graph import Graph
from comfyreel.compiler.model_manifest import all_models, download_command, lookup, required_models

ROOT = Path(__file__).parents[2]
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))


def _graphs(recipe: Path) -> list[Graph]:
    from comfyreel.cli.validate import load_targets

    return [graph for _, graph, *_ in load_targets(str(recipe), [])]


def test_every_entry_has_folder_https_url_and_a_source() -> None:
    data = json.loads((ROOT / "compiler" / "data" / "model_manifest.json").read_text(encoding="utf-8"))
    assert "comfyui_workflow_templates_json-0.1.123" in data["sources"]["templates"]
    for entry in all_models():
        assert entry.folder and entry.url.startswith("https://huggingface.co/"), entry
        assert entry.url.endswith("/" + entry.name) and "?" not in entry.url, entry
        assert entry.sources, entry
        assert entry.sha256 is None or len(entry.sha256) == 64


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_every_shipped_recipe_file_is_in_the_manifest(recipe: Path) -> None:
    for graph in _graphs(recipe):
        needs = required_models(graph)
        assert needs, recipe
        missing = [(n.folder, n.name) for n in needs if n.entry is None]
        assert not missing, f"{recipe.name} loads files the manifest lacks: {missing}"


def test_profile_files_are_covered_too() -> None:
    # The rtx4060-8gb profile swaps in quantised files no official template names.
    for name in ("ltx-2-19b-distilled-fp8.safetensors", "t5xxl_fp8_e4m3fn.safetensors"):
        assert lookup(name) is not None, name


def test_ltx2_and_ltx23_template_files_for_later_recipes() -> None:
    # IC-LoRAs, the i2v camera LoRA and the LTX-2.3 distilled checkpoint come from the official templates.
    for folder, name in [
        ("loras", "ltx-2-19b-ic-lora-canny-control.safetensors"),
        ("loras", "ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors"),
        ("loras", "ltx-2-19b-lora-camera-control-dolly-left.safetensors"),
        ("checkpoints", "ltx-2.3-22b-distilled-fp8.safetensors"),
    ]:
        entry = lookup(name)
        assert entry is not None and entry.folder == folder, name


def test_required_models_walks_loader_inputs_once_per_file() -> None:
    graph = Graph.from_data(
        {
            "1": {
                "class_type": "CheckpointLoaderSimple",
                "inputs": {"ckpt_name": "ltx-2-19b-dev-fp8.safetensors"},
            },
            "2": {
                "class_type": "LTXVAudioVAELoader",
                "inputs": {"ckpt_name": "ltx-2-19b-dev-fp8.safetensors"},
            },
            "3": {
                "class_type": "LoraLoaderModelOnly",
                "inputs": {"lora_name": "mine.safetensors", "model": ["1", 0]},
            },
            "4": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x.safetensors"}},
        },
        source="g.json",
    )
    needs = required_models(graph)
    assert [(n.folder, n.name, n.node_id) for n in needs] == [
        ("checkpoints", "ltx-2-19b-dev-fp8.safetensors", "1"),
        ("loras", "mine.safetensors", "3"),
    ]
    assert needs[0].entry is not None and needs[1].entry is None
    assert needs[1].to_dict()["url"] is None and needs[1].to_dict()["download"] is None


def test_download_command_targets_the_folder() -> None:
    entry = lookup("ltx-2-spatial-upscaler-x2-1.0.safetensors")
    assert entry is not None
    argv = shlex.split(download_command(entry, "/srv/comfy models/"))
    assert argv[0] == "curl" and argv[-1] == entry.url
    assert argv[argv.index("-o") + 1] == "/srv/comfy models/latent_upscale_models/" + entry.name
