"""Golden folders are the recipe's name, file names are portable, nothing is written outside (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.checks.check_run import check_run
from comfyreel.checks.golden import GOLDEN_META, GoldenMeta, output_name
from comfyreel.cli import main
from comfyreel.compiler.errors import InputError
from comfyreel.runner.manifest import Manifest

WINDOWS_REFUSES = set('<>:"/\\|?*')


def _rename_nodes(run_dir: Path, ids: list[str]) -> None:
    """Give the run's outputs these server node ids (what a hostile or subgraph server sends)."""
    data = json.loads((run_dir / "manifest.json").read_text())
    for out, node_id in zip(data["outputs"], ids, strict=True):
        out["node_id"] = node_id
    (run_dir / "manifest.json").write_text(json.dumps(data))


def test_dotted_recipe_files_get_their_own_golden(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}, recipe="recipes/clip.v1.yaml"), goldens, update=True)
    v1 = (goldens / "clip.v1" / "9-0.mp4").read_bytes()
    check_run(make_run_dir({"9-0": clips["seed"]}, recipe="recipes/clip.v2.yaml"), goldens, update=True)
    assert sorted(p.name for p in goldens.iterdir()) == ["clip.v1", "clip.v2"]
    assert (goldens / "clip.v1" / "9-0.mp4").read_bytes() == v1
    assert check_run(make_run_dir({"9-0": clips["golden"]}, recipe="recipes/clip.v1.yaml"), goldens).ok


def test_the_recipe_name_not_the_file_names_the_golden(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"]}, recipe="recipes/clip.v1.yaml")
    data = json.loads((run / "manifest.json").read_text())
    data["recipe"]["name"] = "hello-wave"
    (run / "manifest.json").write_text(json.dumps(data))
    rc = check_run(run, tmp_path / "g", update=True)
    assert rc.stem == "hello-wave" and (tmp_path / "g" / "hello-wave" / "9-0.mp4").is_file()
    meta = GoldenMeta.load(tmp_path / "g" / "hello-wave")
    assert meta is not None and (meta.recipe_name, meta.recipe_file) == ("hello-wave", "clip.v1.yaml")


def test_a_second_recipe_with_the_same_name_is_refused(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}, recipe="a/clip.yaml"), goldens, update=True)
    before = (goldens / "clip" / "9-0.mp4").read_bytes()
    other = make_run_dir({"9-0": clips["seed"]}, recipe="b/clip.yml")
    with pytest.raises(InputError, match=r"belongs to recipe file clip\.yaml") as err:
        check_run(other, goldens, update=True)
    assert "own `name:`" in (err.value.hint or "")
    assert (goldens / "clip" / "9-0.mp4").read_bytes() == before
    rc = check_run(other, goldens)
    assert not rc.ok and rc.problems[0].code == "golden_claimed"


def test_one_batch_with_two_recipes_of_one_name_is_refused(tmp_path: Path, clips, make_run_dir) -> None:
    from comfyreel.checks.check_run import refuse_shared_goldens

    a = make_run_dir({"9-0": clips["golden"]}, recipe=str(tmp_path / "a" / "clip.yaml"))
    b = make_run_dir({"9-0": clips["seed"]}, recipe=str(tmp_path / "b" / "clip.yaml"))
    same = make_run_dir({"9-0": clips["golden"]}, recipe=str(tmp_path / "a" / "clip.yaml"))
    refuse_shared_goldens({a: Manifest.load(a), same: Manifest.load(same)})
    with pytest.raises(InputError, match="two recipes claim golden 'clip'"):
        refuse_shared_goldens({a: Manifest.load(a), b: Manifest.load(b)})
    code = main(["check", str(a), str(b), "--golden", str(tmp_path / "g"), "--update-golden"])
    assert code == 2 and not (tmp_path / "g").exists()


def test_a_traversing_node_id_stays_inside_the_golden_folder(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"]})
    _rename_nodes(run, ["../../../X"])
    goldens = tmp_path / "deep" / "goldens"
    rc = check_run(run, goldens, update=True)
    assert rc.ok
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "run" not in p.parts[len(tmp_path.parts)]]
    assert all(goldens / "demo" in p.parents for p in written), written
    assert not (tmp_path / "X-0.mp4").exists() and not (tmp_path / "deep" / "X-0.mp4").exists()
    assert check_run(run, goldens).ok


def test_subgraph_ids_get_portable_unique_names(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"], "9-1": clips["seed"]})
    _rename_nodes(run, ["58:43", "58_43"])
    goldens = tmp_path / "goldens"
    check_run(run, goldens, update=True)
    names = sorted(p.name for p in (goldens / "demo").iterdir() if p.name != GOLDEN_META)
    assert len(names) == 2 and not any(set(n) & WINDOWS_REFUSES for n in names)
    assert check_run(run, goldens).ok  # each output meets its own golden, not the other's


def test_output_names_are_plain_portable_and_distinct() -> None:
    ids = ["9", "58:43", "58_43", "58.43", "../x", "..", "a/b", "a\\b", "CON", "é", "x" * 300, "x" * 301]
    names = [output_name(i, 0, ".MP4") for i in ids]
    assert output_name("9", 0, ".MP4") == "9-0.mp4"  # plain ids keep today's names
    assert len(set(names)) == len(names)
    for name in names:
        assert not set(name) & WINDOWS_REFUSES and ".." not in name and len(name) < 100
    assert output_name("9", 1, "/../evil") == "9-1"


def test_golden_json_naming_a_file_outside_is_refused(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    meta_path = goldens / "demo" / GOLDEN_META
    data = json.loads(meta_path.read_text())
    data["outputs"]["../../victim.txt"] = {"kind": "video"}
    meta_path.write_text(json.dumps(data))
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    with pytest.raises(InputError, match="not a plain file name"):
        check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    assert victim.read_text() == "keep me"


def test_an_unportable_recipe_name_is_refused_with_the_fix(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"]})
    data = json.loads((run / "manifest.json").read_text())
    data["recipe"]["name"] = "a:b"
    (run / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="portable folder name") as err:
        check_run(run, tmp_path / "g", update=True)
    assert "`name:`" in (err.value.hint or "") and not (tmp_path / "g").exists()
