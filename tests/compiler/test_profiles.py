"""The rtx4060-8gb profile: quantised defaults, explicit files win, the frames x pixels budget."""

from __future__ import annotations

from pathlib import Path

from comfyreel.compiler import profiles
from comfyreel.compiler.compile import compile_recipe
from recipe_helpers import BASE, fail, load

PROFILE = "profile: rtx4060-8gb\n"


def test_profile_is_documented_with_sources() -> None:
    doc = profiles.__doc__ or ""
    for source in (
        "Comfy-Org/ComfyUI#12047",
        "Lightricks/ComfyUI-LTXVideo#303",
        "Comfy-Org/ComfyUI#13013",
        "Lightricks/ComfyUI-LTXVideo#396",
        "Lightricks/ComfyUI-LTXVideo#471",
    ):
        assert source in doc
    assert "estimate" in doc


def test_seed_case_is_within_budget(tmp_path: Path) -> None:
    assert load(tmp_path, BASE + PROFILE).warnings == []


def test_over_budget_is_a_warning_naming_a_fitting_length(tmp_path: Path) -> None:
    text = BASE.replace("seconds: 2", "frames: 257").replace("768", "1280", 1) + PROFILE
    loaded = load(tmp_path, text)
    (warning,) = loaded.warnings
    assert warning == (
        f"{tmp_path / 'clip.yaml'}:7: 1280x768 x 257 frames = 252.6M pixel-frames is over the rtx4060-8gb "
        "budget of ~109M (an estimate): expect out-of-memory; at 1280x768 use at most 105 frames, "
        "or lower the resolution"
    )
    err = fail(tmp_path, text, strict=True)
    assert err.problems[0]["field"] == "profile"


def test_no_budget_without_a_profile(tmp_path: Path) -> None:
    text = BASE.replace("seconds: 2", "frames: 257").replace("768", "1280", 1)
    assert load(tmp_path, text).warnings == []


def test_profile_defaults_and_explicit_files_win(tmp_path: Path) -> None:
    distilled = BASE.replace("ltx2-t2v", "ltx2-t2v-distilled") + PROFILE
    graph = compile_recipe(load(tmp_path, distilled))
    assert graph.nodes["100"]["inputs"]["ckpt_name"] == "ltx-2-19b-distilled-fp8.safetensors"
    assert graph.nodes["101"]["inputs"]["ckpt_name"] == "ltx-2-19b-distilled-fp8.safetensors"
    mine = distilled + "models:\n  checkpoint: my-own.safetensors\n"
    graph = compile_recipe(load(tmp_path, mine))
    assert graph.nodes["100"]["inputs"]["ckpt_name"] == "my-own.safetensors"
    assert graph.nodes["111"]["inputs"]["ckpt_name"] == "my-own.safetensors"
    ltxv = BASE.replace("ltx2-t2v", "ltxv-t2v") + PROFILE
    graph = compile_recipe(load(tmp_path, ltxv))
    assert graph.nodes["38"]["inputs"] == {
        "clip_name": "t5xxl_fp8_e4m3fn.safetensors",
        "type": "ltxv",
        "device": "cpu",
    }


def test_profile_notes_reach_graph_meta(tmp_path: Path) -> None:
    graph = compile_recipe(load(tmp_path, BASE + PROFILE))
    assert graph.meta["profile"] == "rtx4060-8gb"
    assert any("--lowvram" in note for note in graph.meta["profile_notes"])


def test_decode_settings() -> None:
    profile = profiles.get_profile("rtx4060-8gb")
    assert profiles.decode_settings("ltxv-t2v", None) is None
    assert profiles.decode_settings("ltx23-t2v", None) == profiles.TiledDecode(768, 64, 4096, 4)
    assert profiles.decode_settings("ltxv-t2v", profile) == profile.decode
