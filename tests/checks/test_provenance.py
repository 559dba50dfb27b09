"""A failing check says what changed since the golden, not only "recipe changed (hash → hash)" (issue 13)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from comfyreel.checks.check_run import check_run
from comfyreel.checks.html import write_html
from comfyreel.checks.provenance import describe_changes

RECIPE_A = """name: demo
model: ltxv-t2v
prompt: a red ball bouncing on a wooden floor
seed: 7
profile: rtx4060-8gb
loras:
  - {name: style.safetensors, strength: 0.8}
  - {name: detail.safetensors, strength: 0.5}
check: {tolerances: {min_ssim: 0.9}}
"""
RECIPE_B = """name: demo
model: ltxv-t2v
prompt: a blue ball bouncing on a wooden floor
seed: 8
loras:
  - {name: detail.safetensors, strength: 0.6}
check: {tolerances: {min_ssim: 0.9}}
"""


def _graph(ckpt: str, image: str) -> dict:
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "2": {"class_type": "LoadImage", "inputs": {"image": image}},
        "9": {"class_type": "SaveVideo", "inputs": {"video": ["1", 0]}},
    }


def _set_run(run: Path, graph: dict, version: str, flags: list[str] | None) -> Path:
    text = json.dumps(graph)
    (run / "graph.json").write_text(text)
    data = json.loads((run / "manifest.json").read_text())
    data["graph"]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    data["server"]["comfyui_version"] = version
    data["server"]["launch_flags"] = flags
    (run / "manifest.json").write_text(json.dumps(data))
    return run


def test_a_failed_check_lists_what_changed(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    old = make_run_dir({"9-0": clips["golden"]}, recipe_text=RECIPE_A)
    _set_run(old, _graph("ltx-2b.safetensors", "comfyreel/aaaa.png"), "0.3.64", ["--deterministic"])
    check_run(old, goldens, update=True)
    new = make_run_dir({"9-0": clips["seed"]}, recipe_text=RECIPE_B)
    _set_run(new, _graph("ltx-13b.safetensors", "comfyreel/bbbb.png"), "0.8.0", ["--fast"])
    rc = check_run(new, goldens, collect_images=True)
    assert not rc.ok
    expected = [
        "seed 7 → 8",
        "LoRA style.safetensors 0.8 → removed",
        "LoRA detail.safetensors 0.5 → 0.6",
        'prompt: −"red" +"blue"',
        "profile rtx4060-8gb → removed",
        "model file 1.ckpt_name: ltx-2b.safetensors → ltx-13b.safetensors",
        "input 2.image: comfyreel/aaaa.png → comfyreel/bbbb.png",
        "ComfyUI 0.3.64 → 0.8.0",
        "server flags: +--fast −--deterministic",
    ]
    assert sorted(rc.changed) == sorted(expected)
    text = "\n".join(rc.summary_lines())
    assert "changed since the golden was recorded:" in text and "    - seed 7 → 8" in text
    assert "recipe changed (" not in text  # the hash line gives way to the facts
    assert rc.to_dict()["changed_since_golden"] == rc.changed
    html = write_html([rc], tmp_path / "r.html").read_text()
    assert "Changed since the golden" in html and "LoRA style.safetensors 0.8 → removed" in html


def test_same_provenance_says_nothing_and_old_goldens_keep_the_hash_note(
    tmp_path: Path, clips, make_run_dir
) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}, recipe_text=RECIPE_A), goldens, update=True)
    same = check_run(make_run_dir({"9-0": clips["golden"]}, recipe_text=RECIPE_A), goldens)
    assert same.ok and same.changed == []
    meta_path = goldens / "demo" / "golden.json"
    data = json.loads(meta_path.read_text())
    del data["provenance"]  # a golden.json written before provenance existed
    data["recipe_sha256"] = "ef" * 32
    meta_path.write_text(json.dumps(data))
    rc = check_run(make_run_dir({"9-0": clips["golden"]}, recipe_text=RECIPE_B), goldens)
    assert any(n.startswith("recipe changed since the goldens were recorded") for n in rc.notes)


def test_bare_graphs_compare_loras_and_seeds() -> None:
    old = {"loras": {"style.safetensors": 0.8}, "seeds": {"3.seed": 7}}
    new = {"loras": {}, "seeds": {"3.seed": 8}}
    assert describe_changes(old, new) == ["LoRA style.safetensors 0.8 → removed", "seed 3.seed 7 → 8"]


def test_check_warns_when_the_golden_was_made_unrepeatably(tmp_path: Path, clips, make_run_dir) -> None:
    graph = _graph("ltx-2b.safetensors", "comfyreel/aaaa.png")
    good = tmp_path / "good"
    check_run(
        _set_run(
            make_run_dir({"9-0": clips["golden"]}), graph, "0.3.64", ["--deterministic", "--disable-metadata"]
        ),
        good,
        update=True,
    )
    assert (
        check_run(_set_run(make_run_dir({"9-0": clips["golden"]}), graph, "0.3.64", None), good).warnings
        == []
    )
    bad = tmp_path / "bad"
    check_run(_set_run(make_run_dir({"9-0": clips["golden"]}), graph, "0.3.64", ["--fast"]), bad, update=True)
    rc = check_run(_set_run(make_run_dir({"9-0": clips["golden"]}), graph, "0.3.64", ["--fast"]), bad)
    assert rc.ok and len(rc.warnings) == 3
    text = "\n".join(rc.summary_lines())
    for phrase in ("without --deterministic", "with --fast", "without --disable-metadata"):
        assert f"warning: the golden was made by a ComfyUI started {phrase}" in text
    assert rc.to_dict()["warnings"] == rc.warnings


def test_input_media_are_named_by_the_users_file_and_hash(tmp_path: Path, clips, make_run_dir) -> None:
    def with_media(run: Path, sha: str) -> Path:
        _set_run(run, _graph("ltx-2b.safetensors", f"comfyreel/{sha[:16]}.png"), "0.3.64", None)
        data = json.loads((run / "manifest.json").read_text())
        data["inputs"] = [
            {
                "name": f"comfyreel/{sha[:16]}.png",
                "path": "/home/u/start.png",
                "sha256": sha,
                "server_name": f"comfyreel/{sha[:16]}.png",
            }
        ]
        (run / "manifest.json").write_text(json.dumps(data))
        return run

    goldens = tmp_path / "goldens"
    check_run(with_media(make_run_dir({"9-0": clips["golden"]}), "a" * 64), goldens, update=True)
    rc = check_run(with_media(make_run_dir({"9-0": clips["seed"]}), "b" * 64), goldens)
    assert rc.changed == [f"input image start.png: sha256 {'a' * 12} → sha256 {'b' * 12}"]
