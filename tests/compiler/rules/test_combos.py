"""Rules of the `combos` family: combo-value (V1 and V3 forms), model-missing, model-unchecked."""

from __future__ import annotations

from comfyreel.compiler.inventory import ModelInventory
from comfyreel.compiler.object_info import ObjectInfo
from conftest import image_graph, latent_graph, one, only, run


def _scale(method: str) -> dict:
    graph = image_graph()
    graph["3"] = {
        "class_type": "ImageScale",
        "inputs": {
            "image": ["1", 0],
            "upscale_method": method,
            "width": 32,
            "height": 32,
            "crop": "disabled",
        },
    }
    graph["2"]["inputs"]["images"] = ["3", 0]
    return graph


def _checkpoint(name: str) -> dict:
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": name}},
        "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "VAEDecode", "inputs": {"samples": ["2", 0], "vae": ["1", 2]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "t"}},
    }


def test_v1_combo_value_with_closest_options(pinned) -> None:
    assert run(_scale("bilinear"), pinned) == []
    finding = one(run(_scale("bilinar"), pinned), "combo-value")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json#3(ImageScale):upscale_method"
    assert finding.message == '"bilinar" is not one of the 5 options'
    assert finding.fix.startswith('closest options: "bilinear"')


def test_v1_combo_value_without_close_match_lists_options(pinned) -> None:
    finding = one(run(_scale("bogus-method"), pinned), "combo-value")
    assert finding.fix == 'options: "nearest-exact", "bilinear", "area", "bicubic", "lanczos"'


def test_v3_combo_value(pinned) -> None:
    graph = {
        "1": {
            "class_type": "LTXAVTextEncoderLoader",
            "inputs": {"text_encoder": "g.safetensors", "ckpt_name": "c.safetensors", "device": "cuda"},
        },
    }
    finding = one(run(graph, pinned), "combo-value")
    assert finding.anchor() == "t.json#1(LTXAVTextEncoderLoader):device"
    assert finding.fix == 'options: "default", "cpu"'


def test_multiselect_combo_checks_each_item(mini) -> None:
    graph = {
        "1": {"class_type": "Src", "inputs": {}},
        "2": {"class_type": "Sink", "inputs": {"images": ["1", 0], "tags": ["a", "c"]}},
    }
    assert run(graph, mini) == []
    graph["2"]["inputs"]["tags"] = ["a", "d"]
    assert one(run(graph, mini), "combo-value").message.startswith('"d"')


def test_empty_model_combo_is_unchecked_offline(pinned) -> None:
    finding = one(run(_checkpoint("ltx-video-2b-v0.9.safetensors"), pinned), "model-unchecked")
    assert finding.severity == "info"
    assert finding.anchor() == "t.json#1(CheckpointLoaderSimple):ckpt_name"
    assert finding.message.startswith("unchecked offline: ltx-video-2b-v0.9.safetensors")
    assert "--models DIR" in finding.fix


def test_empty_model_combo_checked_against_inventory(pinned) -> None:
    inventory = ModelInventory.from_names(["checkpoints/ltx-video-2b-v0.9.safetensors"])
    assert run(_checkpoint("ltx-video-2b-v0.9.safetensors"), pinned, inventory=inventory) == []
    finding = one(
        run(_checkpoint("ltx-video-2b-v0.9.safetensor"), pinned, inventory=inventory), "model-missing"
    )
    assert finding.severity == "error"
    assert finding.fix == 'closest files: "checkpoints/ltx-video-2b-v0.9.safetensors"'


def test_recipe_inventory_from_graph_meta(pinned) -> None:
    findings = run(
        _checkpoint("missing-model.safetensors"), pinned, meta={"inventory": ["dummy.safetensors"]}
    )
    finding = one(findings, "model-missing")
    assert "recipe inventory" in finding.message
    assert not only(findings, "model-unchecked")


def test_models_dir_inventory_uses_the_loader_folder(pinned, tmp_path) -> None:
    (tmp_path / "checkpoints" / "ltx").mkdir(parents=True)
    (tmp_path / "checkpoints" / "ltx" / "a.safetensors").write_bytes(b"")
    (tmp_path / "loras").mkdir()
    (tmp_path / "loras" / "b.safetensors").write_bytes(b"")
    (tmp_path / "checkpoints" / "put_checkpoints_here").write_bytes(b"")
    inventory = ModelInventory.from_dir(tmp_path)
    assert run(_checkpoint("ltx/a.safetensors"), pinned, inventory=inventory) == []
    finding = one(run(_checkpoint("b.safetensors"), pinned, inventory=inventory), "model-missing")
    assert "models/checkpoints/" in finding.fix  # a LoRA is not a checkpoint


def test_builtin_only_list_is_treated_as_unlisted(pinned) -> None:
    graph = latent_graph()
    graph["2"]["inputs"]["vae_name"] = "ltx-vae.safetensors"  # the snapshot lists only "pixel_space"
    finding = one(run(graph, pinned), "model-unchecked")
    assert finding.input == "vae_name"
    assert not only(run(graph, pinned), "combo-value")
    live = ObjectInfo.from_data(dict(pinned.raw), source="http://x/object_info", live=True)
    assert one(run(graph, live), "combo-value").input == "vae_name"  # a live server lists its files


def test_live_server_listing_no_model_files_is_an_error(pinned) -> None:
    graph = _checkpoint("ltx.safetensors")  # the snapshot (taken without models) lists no checkpoints
    assert one(run(graph, pinned), "model-unchecked").input == "ckpt_name"
    live = ObjectInfo.from_data(dict(pinned.raw), source="http://x/object_info", live=True)
    finding = one(run(graph, live), "combo-value")  # ComfyUI 0.3.64 answered HTTP 400 for exactly this
    assert finding.message == '"ltx.safetensors": the server lists no models/checkpoints files'
    assert finding.fix == "install ltx.safetensors into the server's models/checkpoints/ folder"
    assert not only(run(graph, live), "model-unchecked")


def test_input_file_combo_stays_unchecked_even_with_inventory(pinned) -> None:
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "cat.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}},
    }
    finding = one(run(graph, pinned, inventory=None), "model-unchecked")
    assert finding.fix == "validate against your server with --server URL"
    inv = ModelInventory(files={"checkpoints": frozenset({"x.safetensors"})}, source="models")
    assert one(run(graph, pinned, inventory=inv), "model-unchecked").input == "image"


def test_loader_upload_combos_are_not_checked_against_their_list(pinned) -> None:
    """ComfyUI validates LoadImage/LoadVideo/LoadAudio by file existence, never by the listed files
    (which name only top-level input files): a compiled ``comfyreel/<hash>.png`` is no combo error."""
    schema = {
        "LoadImage": {
            "input": {"required": {"image": [["example.png"], {"image_upload": True}]}},
            "output": ["IMAGE", "MASK"],
            "output_node": False,
        },
        "LoadVideo": {
            "input": {"required": {"file": ["COMBO", {"options": ["a.mp4"], "video_upload": True}]}},
            "output": ["VIDEO"],
            "output_node": False,
        },
        "SaveImage": pinned.raw["SaveImage"],
        "SaveVideo": pinned.raw["SaveVideo"],
    }
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "comfyreel/0123456789abcdef.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "t"}},
        "3": {"class_type": "LoadVideo", "inputs": {"file": "comfyreel/fedcba9876543210.mp4"}},
        "4": {
            "class_type": "SaveVideo",
            "inputs": {"video": ["3", 0], "filename_prefix": "t", "format": "auto", "codec": "auto"},
        },
    }
    for live in (False, True):
        findings = run(graph, ObjectInfo.from_data(schema, live=live))
        assert only(findings, "combo-value") == []
