"""The node hint index: every entry is cited and actionable; core wins over packs."""

from __future__ import annotations

import json
from pathlib import Path

from comfyreel.compiler.node_hints import hint_for, pack_info

DATA = Path(__file__).parents[2] / "compiler" / "data" / "node_hints.json"


def test_index_is_cited_and_every_pack_has_repo_install_and_source() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert "comfyui-workflow-templates-json-0.1.123" in data["sources"]["first_seen"].replace("_", "-")
    assert {"comfyui-ltxvideo", "comfyui-videohelpersuite", "comfyui-kjnodes", "comfyui-gguf"} <= set(
        data["packs"]
    )
    for pack_id, pack in data["packs"].items():
        assert pack["repo"].startswith("https://github.com/"), pack_id
        assert pack["install"] and all(pack["repo"] in c or pack_id in c for c in pack["install"])
        assert pack["source"].startswith(pack["repo"] + " at "), pack_id
        assert pack["classes"], pack_id


def test_core_ltx2_nodes_are_never_sent_to_the_lightricks_pack() -> None:
    # ComfyUI-Manager's stale map attributes core LTX-2 nodes to the Lightricks pack; ours must not.
    for cls in ("LTXVLatentUpsampler", "LTXAVTextEncoderLoader", "LTXVConcatAVLatent", "LTXVAddGuide"):
        hint = hint_for(cls)
        assert hint is not None and hint.kind == "core", cls


def test_pack_hint_fields_and_unknown_class() -> None:
    hint = hint_for("UnetLoaderGGUF")
    assert hint is not None and hint.kind == "pack" and hint.pack == "comfyui-gguf"
    assert hint.to_dict()["install"][0] == "comfy node install comfyui-gguf"
    assert pack_info("comfyui-gguf")["repo"] == "https://github.com/city96/ComfyUI-GGUF"
    assert hint_for("NoSuchNodeAnywhere") is None
    assert pack_info("nope") is None
