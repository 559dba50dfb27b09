"""Every recipe rule, with a failing case and its exact message (file:line, field, legal value)."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfyreel.compiler.recipe import Recipe, recipe_json_schema
from recipe_helpers import BASE, fail, load, replace


def test_seed_case_loads_clean(tmp_path: Path) -> None:
    loaded = load(tmp_path, BASE)
    assert loaded.frames == 49  # 2 s x 24 fps + 1, already 8n+1
    assert loaded.warnings == []
    assert loaded.recipe.fps == 24.0
    assert loaded.name == "clip"  # defaults to the file stem


def test_width_not_multiple_of_32_names_file_line_and_legal_values(tmp_path: Path) -> None:
    text = replace(BASE, "model", "model: ltxv-t2v")
    err = fail(tmp_path, replace(text, "width", "width: 770"))
    assert err.message == "width 770 is not a multiple of 32: use 768 or 800"
    assert err.anchor == f"{tmp_path / 'clip.yaml'}:4"
    assert err.problems == [
        {"field": "width", "value": 770, "message": err.message, "fix": "768 or 800", "line": 4}
    ]


def test_two_pass_models_need_multiples_of_64(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "height", "height: 720"))
    assert err.message == (
        "height 720 is not a multiple of 64 (ltx2-t2v renders a half-size first pass whose sides must be "
        "multiples of 32, then upsamples it x2): use 704 or 768 "
        "(or keep it with size_policy: crop / pad, which render on the grid and crop or pad)"
    )
    assert err.anchor.endswith("clip.yaml:5")


@pytest.mark.parametrize(
    ("model", "line", "message"),
    [
        ("ltxv-t2v", "width: 32", "width 32 is below ltxv-t2v's minimum of 64: use 64"),
        ("ltxv-t2v", "width: 1536", "width 1536 is over ltxv-t2v's maximum of 1280: use 1280"),
        ("ltx2-t2v", "width: 64", "width 64 is below ltx2-t2v's minimum of 128: use 128"),
        ("ltx2-t2v", "width: 4096", "width 4096 is over ltx2-t2v's maximum of 3840: use 3840"),
    ],
)
def test_size_limits_per_model(tmp_path: Path, model: str, line: str, message: str) -> None:
    err = fail(tmp_path, replace(replace(BASE, "model", f"model: {model}"), "width", line))
    assert err.message == message


def test_frames_not_8n_plus_1(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "seconds", "frames: 48"))
    assert err.message == "frames 48 is not 8n+1: use 41 or 49"
    assert err.problems[0]["fix"] == "41 or 49"
    assert err.anchor.endswith("clip.yaml:3")


def test_frames_4n_plus_1_is_not_8n_plus_1(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "seconds", "frames: 53"))
    assert err.message == "frames 53 is not 8n+1: use 49 or 57"


def _loras(count: int) -> str:
    return "loras:\n" + "".join(f"  - name: l{i}.safetensors\n" for i in range(count))


def test_at_most_99_loras(tmp_path: Path) -> None:
    """User LoRA nodes take ids 901..999: the 99th still compiles, the 100th is refused."""
    from comfyreel.compiler.compile import compile_recipe

    graph = compile_recipe(load(tmp_path, BASE + _loras(99)))
    lora_ids = sorted(
        int(i) for i, node in graph if node["class_type"] == "LoraLoaderModelOnly" and int(i) > 900
    )
    assert lora_ids == list(range(901, 1000))
    err = fail(tmp_path, BASE + _loras(100))
    assert err.message == "100 LoRAs is too many: use at most 99"
    assert err.problems[0]["field"] == "loras"


def test_frames_over_model_limit(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "seconds", "frames: 1001"))
    assert err.message == "1001 frames is over ltx2-t2v's limit of 993: use frames: 993 or fewer"


def test_seconds_snapped_to_8n_plus_1_is_a_warning(tmp_path: Path) -> None:
    loaded = load(tmp_path, replace(BASE, "seconds", "seconds: 3\nfps: 25"))
    assert loaded.frames == 73
    assert loaded.warnings == [
        f"{tmp_path / 'clip.yaml'}:3: seconds 3 at 25 fps gives 76 frames, but LTX needs 8n+1: "
        "using 73 frames (2.92 s); set frames: 73 or frames: 81 to choose"
    ]


def test_seconds_snapped_fails_under_strict(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "seconds", "seconds: 2.1"), strict=True)
    assert err.message.startswith(
        "seconds 2.1 at 24 fps gives 51.4 frames, but LTX needs 8n+1: using 49 frames"
    )
    assert err.problems[0]["fix"] == "frames: 49"


def test_exactly_one_of_seconds_and_frames(tmp_path: Path) -> None:
    both = fail(tmp_path, replace(BASE, "seconds", "seconds: 2\nframes: 49"))
    assert both.message == "give exactly one of seconds and frames: remove one of them"
    neither = fail(tmp_path, replace(BASE, "seconds", None))
    assert neither.message == "missing duration: add `seconds: 2` or `frames: 49` (8n+1)"


def test_fps_range_and_whole_number_for_ltx2(tmp_path: Path) -> None:
    err = fail(tmp_path, BASE + "fps: 23.976\n")
    assert err.message == (
        "fps 23.976 must be a whole number for ltx2-t2v (LTXVEmptyLatentAudio.frame_rate is an INT): use 24"
    )
    assert fail(tmp_path, BASE + "fps: 240\n").message == "fps 240 is out of range: use 1..120"
    ltxv = load(
        tmp_path,
        replace(BASE, "model", "model: ltxv-t2v").replace("seconds: 2", "frames: 49") + "fps: 23.976\n",
    )
    assert ltxv.recipe.fps == 23.976


@pytest.mark.parametrize("seed", ["-1", "18446744073709551616"])
def test_seed_range(tmp_path: Path, seed: str) -> None:
    err = fail(tmp_path, replace(BASE, "seed", f"seed: {seed}"))
    assert err.message == f"seed {seed} is out of range: use 0..18446744073709551615"


def test_seed_max_is_legal(tmp_path: Path) -> None:
    assert (
        load(tmp_path, replace(BASE, "seed", "seed: 18446744073709551615")).recipe.seed == 0xFFFFFFFFFFFFFFFF
    )


def test_lora_strength_range_and_warning(tmp_path: Path) -> None:
    bad = BASE + "loras:\n  - name: a.safetensors\n    strength: 150\n"
    err = fail(tmp_path, bad)
    assert err.message == "loras[0].strength 150 is out of range: use -100..100"
    assert err.problems[0]["fix"] == "100"
    assert err.anchor.endswith("clip.yaml:9")
    strong = load(tmp_path, BASE + "loras:\n  - name: a.safetensors\n    strength: 3\n")
    assert "loras[0].strength 3 is unusually strong" in strong.warnings[0]
    fail(tmp_path, BASE + "loras:\n  - name: a.safetensors\n    strength: 3\n", strict=True)


def test_lora_name_required_and_not_empty(tmp_path: Path) -> None:
    err = fail(tmp_path, BASE + "loras:\n  - strength: 1\n")
    assert err.message == "missing required field 'loras[0].name': add `name: my-lora.safetensors`"
    err = fail(tmp_path, BASE + "loras:\n  - name: ' '\n")
    assert err.message == "loras[0].name is empty: give the LoRA's file name"


def test_steps_and_cfg_rejected_where_the_template_has_none(tmp_path: Path) -> None:
    text = replace(BASE, "model", "model: ltx2-t2v-distilled") + "steps: 20\ncfg: 4\nnegative_prompt: ugly\n"
    err = fail(tmp_path, text)
    messages = [p["message"] for p in err.problems]
    fixed = "(it samples fixed sigmas, as the official graph does): remove it"
    assert messages == [
        f"steps is not used by ltx2-t2v-distilled {fixed}",
        f"cfg is not used by ltx2-t2v-distilled {fixed}",
        "negative_prompt is not used by ltx2-t2v-distilled "
        "(cfg 1: the prompt conditions both sides): remove it",
    ]
    assert err.message.startswith("3 problems in recipe:\n")


def test_steps_and_cfg_ranges(tmp_path: Path) -> None:
    assert fail(tmp_path, BASE + "steps: 0\n").message == (
        "steps 0 is out of range: use 1..10000 (the official graph uses 20)"
    )
    assert (
        fail(tmp_path, BASE + "cfg: 101\n").message
        == "cfg 101 is out of range: use 0..100 (the official graph uses 4)"
    )


def test_model_slots_per_model(tmp_path: Path) -> None:
    text = replace(BASE, "model", "model: ltxv-t2v") + "models:\n  audio_vae: x.safetensors\n"
    err = fail(tmp_path, text)
    assert (
        err.message
        == "models.audio_vae is not used by ltxv-t2v: remove it (its slots: checkpoint, text_encoder)"
    )
    empty = fail(tmp_path, BASE + "models:\n  checkpoint: ''\n")
    assert empty.message == "models.checkpoint is empty: remove it to use 'ltx-2-19b-dev-fp8.safetensors'"


def test_unknown_model_and_profile_suggest(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "model", "model: ltx3"))
    choices = "ltxv, ltx2, ltx2-distilled, ltx23, ltxv-t2v, ltx2-t2v, ltx2-t2v-distilled, ltx23-t2v"
    assert err.message == f"model 'ltx3' is not one of {choices}: did you mean 'ltx23'?"
    err = fail(tmp_path, BASE + "profile: rtx4060\n")
    assert err.message == "profile 'rtx4060' is not one of rtx4060-8gb: did you mean 'rtx4060-8gb'?"


def test_unknown_fields_suggest_names(tmp_path: Path) -> None:
    err = fail(tmp_path, BASE + "widht: 768\n")
    assert err.message == "unknown field 'widht': did you mean 'width'?"
    assert err.anchor.endswith("clip.yaml:7")
    err = fail(tmp_path, BASE + "loras:\n  - name: a.safetensors\n    strenght: 1\n")
    assert err.message == "unknown field 'loras[0].strenght': did you mean 'strength'?"
    err = fail(tmp_path, BASE + "models:\n  ckpt: a.safetensors\n")
    assert "unknown field 'models.ckpt'" in err.message


def test_types_are_strict(tmp_path: Path) -> None:
    err = fail(tmp_path, replace(BASE, "width", "width: 768px"))
    assert err.message == "width must be a whole number, not '768px'"
    err = fail(tmp_path, replace(BASE, "width", "width: 768.0"))
    assert err.message == "width must be a whole number, not 768.0"
    err = fail(tmp_path, replace(BASE, "prompt", "prompt: yes"))
    assert err.message == "prompt must be text (quote it in YAML), not True"
    err = fail(tmp_path, replace(BASE, "seed", "seed: true"))
    assert err.message == "seed must be a whole number, not True"


def test_empty_prompt_and_bad_name(tmp_path: Path) -> None:
    assert (
        fail(tmp_path, replace(BASE, "prompt", "prompt: '  '")).message
        == "prompt is empty: describe the scene"
    )
    err = fail(tmp_path, BASE + "name: my clip/1\n")
    assert err.message == "name 'my clip/1' may only use letters, digits, '.', '_' and '-': use 'my-clip-1'"


@pytest.mark.parametrize("prefix", ["../escape/x", "/abs/x", "C:/x"])
def test_filename_prefix_stays_inside_the_output_folder(tmp_path: Path, prefix: str) -> None:
    err = fail(tmp_path, BASE + f"filename_prefix: {prefix}\n")
    assert err.message.startswith(
        f"filename_prefix '{prefix}' must stay inside ComfyUI's output folder: use "
    )
    assert load(tmp_path, BASE + "filename_prefix: renders/clip\n").recipe.filename_prefix == "renders/clip"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "model: ltxv-t2v\nprompt: x\nframes: 48\nwidth: 770\nheight: oops\nseed: -5\ncolour: red\n"
    err = fail(tmp_path, text)
    fields = [p["field"] for p in err.problems]
    assert fields == ["frames", "width", "height", "seed", "colour"]
    assert [p["line"] for p in err.problems] == [3, 4, 5, 6, 7]
    for line in err.message.splitlines()[1:]:
        assert line.startswith(f"  {tmp_path / 'clip.yaml'}:")


def test_json_schema_has_the_fields_and_ranges() -> None:
    schema = recipe_json_schema()
    props = schema["properties"]
    assert set(props) >= {
        "model",
        "prompt",
        "negative_prompt",
        "seconds",
        "frames",
        "fps",
        "width",
        "height",
        "seed",
        "steps",
        "cfg",
        "loras",
        "models",
        "profile",
        "inventory",
        "template",
        "name",
    }
    assert schema["additionalProperties"] is False
    assert props["seed"]["maximum"] == 0xFFFFFFFFFFFFFFFF
    assert set(schema["required"]) == {"model", "prompt", "width", "height"}
    assert "rtx4060-8gb" in str(props["profile"])
    assert schema["oneOf"] == [{"required": ["seconds"]}, {"required": ["frames"]}]


def test_recipe_model_rejects_coercion_directly() -> None:
    with pytest.raises(Exception):  # noqa: B017 - the raw model is strict; the loader translates
        Recipe.model_validate({"model": "ltx2-t2v", "prompt": "x", "width": "768", "height": 768})
