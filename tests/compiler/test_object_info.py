"""ObjectInfo: the pinned snapshot (sha256, cache), normalisation of V1/V3 specs, load errors."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files

import pytest
from comfyreel.compiler.errors import ObjectInfoError
from comfyreel.compiler.object_info import (
    PINNED_SHA256,
    ObjectInfo,
    type_set,
    types_compatible,
)


def test_pinned_sha256_matches_the_shipped_file() -> None:
    data = files("comfyreel.compiler.data").joinpath("object_info-0.27.0.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == PINNED_SHA256
    assert ObjectInfo.pinned().sha256 == PINNED_SHA256


def test_pinned_is_parsed_once_per_process() -> None:
    schema = ObjectInfo.pinned()
    assert ObjectInfo.pinned() is schema
    assert len(schema) == 799 and "EmptyLTXVLatentVideo" in schema
    assert schema["SaveImage"] is schema["SaveImage"]  # node schemas are cached once parsed
    assert schema.describe() == {
        "source": "pinned:object_info-0.27.0.json",
        "sha256": PINNED_SHA256,
        "nodes": 799,
        "live": False,
    }


def test_v1_and_v3_combos_normalise_alike() -> None:
    schema = ObjectInfo.pinned()
    v1 = schema["ImageScale"].inputs["upscale_method"]
    v3 = schema["LTXAVTextEncoderLoader"].inputs["device"]
    assert (v1.type, v1.is_combo, v1.choices[:2]) == ("COMBO", True, ("nearest-exact", "bilinear"))
    assert (v3.type, v3.is_combo, v3.choices) == ("COMBO", True, ("default", "cpu"))
    assert v3.options["advanced"] is True  # V3 fields are kept
    empty = schema["CheckpointLoaderSimple"].inputs["ckpt_name"]
    assert empty.is_combo and empty.choices == ()


def test_sections_outputs_and_output_node() -> None:
    save = ObjectInfo.pinned()["SaveImage"]
    assert save.output_node is True
    assert [s.name for s in save.required] == ["filename_prefix", "images"]
    assert save.inputs["prompt"].section == "hidden"
    assert "prompt" not in save.live_inputs({})
    ckpt = ObjectInfo.pinned()["CheckpointLoaderSimple"]
    assert ckpt.outputs == ("MODEL", "CLIP", "VAE") and ckpt.output_type(2) == "VAE"
    assert ckpt.output_type(3) is None and ckpt.output_node is False


def test_connection_only_types_refuse_literals() -> None:
    schema = ObjectInfo.pinned()
    assert not schema["VAEDecode"].inputs["samples"].accepts_literal
    assert schema["EmptyImage"].inputs["width"].accepts_literal
    assert schema["PreviewAny"].inputs["source"].accepts_literal  # "*"


def test_unions_and_wildcards() -> None:
    assert type_set("IMAGE, MASK") == {"IMAGE", "MASK"}
    assert types_compatible("IMAGE", "IMAGE,MASK")
    assert types_compatible("*", "LATENT") and types_compatible("LATENT", "*")
    assert not types_compatible("LATENT", "IMAGE,MASK")


def test_matchtype_outputs_are_wildcards() -> None:
    switch = ObjectInfo.pinned()["ComfySwitchNode"]
    assert switch.output_type(0) == "*"
    assert switch.inputs["on_true"].link_type == "*"


def test_autogrow_and_dynamic_combo_expand_to_dotted_inputs() -> None:
    schema = ObjectInfo.pinned()
    batch = schema["BatchImagesNode"].live_inputs({})
    assert batch["images.image0"].required and not batch["images.image1"].required
    assert batch["images.image0"].type == "IMAGE" and "images" not in batch
    beeble = schema["BeebleSwitchXImageEdit"]
    assert "alpha_mode.alpha_keyframe" in beeble.live_inputs({"alpha_mode": "select"})
    assert "alpha_mode.alpha_keyframe" not in beeble.live_inputs({"alpha_mode": "auto"})
    assert beeble.live_inputs({})["alpha_mode"].choices == ("auto", "fill", "select", "custom")


def test_from_file_and_errors(tmp_path) -> None:
    good = tmp_path / "oi.json"
    good.write_text(json.dumps({"X": {"input": {"required": {}}, "output": []}}))
    schema = ObjectInfo.from_file(good)
    assert schema.source == str(good) and schema.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    with pytest.raises(ObjectInfoError, match="cannot read object_info") as info:
        ObjectInfo.from_file(tmp_path / "missing.json")
    assert info.value.exit_code == 2 and info.value.anchor.endswith("missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ObjectInfoError, match="not valid JSON"):
        ObjectInfo.from_file(bad)
    for data in ([], {}, {"X": {"output": []}}, {"X": "node"}):
        with pytest.raises(ObjectInfoError):
            ObjectInfo.from_data(data, source="d")


def test_same_bytes_reuse_the_parsed_schema(tmp_path) -> None:
    data = json.dumps({"X": {"input": {"required": {"a": ["INT", {}]}}, "output": []}}).encode()
    first = ObjectInfo.from_bytes(data, source="a")
    second = ObjectInfo.from_bytes(data, source="b", live=True)
    assert second["X"] is first["X"]
    assert (second.source, second.live, second.sha256) == ("b", True, first.sha256)


def test_compiler_validation_modules_import_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "import comfyreel.compiler.validate, comfyreel.compiler.inventory\n"
        "from comfyreel.compiler.object_info import ObjectInfo\n"
        "ObjectInfo.pinned()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & {"requests", "pydantic", "jinja2", "yaml", "typer", "rich", "av", "torch"}
