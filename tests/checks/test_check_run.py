"""check_run over a run directory: goldens missing, matching, regressed, updated; JUnit and HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from comfyreel.checks.check_run import check_run
from comfyreel.checks.golden import GOLDEN_META, GoldenMeta
from comfyreel.checks.html import write_html
from comfyreel.checks.junit import write_junit
from comfyreel.compiler.errors import InputError


def test_missing_golden_fails_and_names_the_update_command(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"]})
    rc = check_run(run, tmp_path / "goldens")
    assert not rc.ok and rc.exit_code == 1
    assert [o.status for o in rc.outputs] == ["missing_golden"]
    text = "\n".join(rc.summary_lines())
    assert "--update-golden" in text and str(tmp_path / "goldens") in text
    assert not (tmp_path / "goldens").exists()  # nothing written without --update-golden


def test_update_then_check_passes_and_layout_is_plain_files(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    run = make_run_dir({"9-0": clips["golden"], "12-1": clips["img_golden"]})
    rc = check_run(run, goldens, update=True)
    assert rc.ok and rc.updated
    assert sorted(c.action for c in rc.changes) == ["added", "added"]
    folder = goldens / "demo"
    assert sorted(p.name for p in folder.iterdir()) == ["12-1.png", "9-0.mp4", GOLDEN_META]
    meta = json.loads((folder / GOLDEN_META).read_text())
    assert meta["schema_version"] == 1 and meta["graph_sha256"] == rc.manifest.graph.sha256
    video = meta["outputs"]["9-0.mp4"]
    assert (video["frames"], video["fps"], video["width"], video["height"]) == (17, 24.0, 96, 64)
    assert video["audio"]["codec"] == "aac"
    assert "created" not in json.dumps(meta) and "time" not in json.dumps(meta)
    again = check_run(make_run_dir({"9-0": clips["reencode_crf"], "12-1": clips["img_golden"]}), goldens)
    assert again.ok, again.summary_lines()
    assert [o.status for o in again.outputs] == ["pass", "pass"]


def test_regression_fails_and_update_reports_old_to_new(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    before = (goldens / "demo" / "9-0.mp4").read_bytes()
    bad_run = make_run_dir({"9-0": clips["drop"]})
    rc = check_run(bad_run, goldens)
    assert not rc.ok and rc.outputs[0].status == "fail"
    assert (goldens / "demo" / "9-0.mp4").read_bytes() == before
    up = check_run(bad_run, goldens, update=True)
    assert up.ok and up.changes[0].action == "updated"
    text = up.changes[0].describe()
    assert "frames 17 → 16" in text and "vs old golden: ssim min" in text
    assert (goldens / "demo" / "9-0.mp4").read_bytes() == clips["drop"].read_bytes()
    assert not list((goldens / "demo").glob("*.part"))


def test_identical_update_is_unchanged_and_removed_outputs_are_listed(
    tmp_path: Path, clips, make_run_dir
) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"], "9-1": clips["golden"]}), goldens, update=True)
    one = make_run_dir({"9-0": clips["golden"]})
    rc = check_run(one, goldens)
    assert [o.status for o in rc.outputs] == ["pass", "missing_output"] and not rc.ok
    up = check_run(one, goldens, update=True)
    assert {c.name: c.action for c in up.changes} == {"9-0.mp4": "unchanged", "9-1.mp4": "removed"}
    assert not (goldens / "demo" / "9-1.mp4").exists()
    assert check_run(one, goldens).ok


def test_failed_run_fails_and_refuses_update(tmp_path: Path, clips, make_run_dir) -> None:
    run = make_run_dir({"9-0": clips["golden"]}, status="out_of_memory")
    rc = check_run(run, tmp_path / "g")
    assert not rc.ok and rc.problems[0].code == "run_status"
    with pytest.raises(InputError, match="refusing"):
        check_run(run, tmp_path / "g", update=True)


def test_unreadable_output_is_an_error_exit_2(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    rc = check_run(make_run_dir({"9-0": clips["garbage"]}), goldens)
    assert rc.outputs[0].status == "error" and rc.exit_code == 2


def test_tolerances_from_golden_json_recipe_and_overrides(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    meta = GoldenMeta.load(goldens / "demo")
    assert meta is not None
    meta.tolerances = {
        "frame_count_delta": 1,
        "duration_s": 1.0,
        "min_ssim": 0.0,
        "min_mean_ssim": 0.0,
        "min_psnr_db": 0.0,
        "max_delta_e": 100.0,
        "max_motion_diff": 100.0,
        "max_flicker": 255.0,
    }
    meta.write(goldens / "demo")
    assert check_run(make_run_dir({"9-0": clips["drop"]}), goldens).ok
    recipe = "name: demo\ncheck:\n  tolerances:\n    frame_count_delta: 0\n"
    assert not check_run(make_run_dir({"9-0": clips["drop"]}, recipe_text=recipe), goldens).ok
    rc = check_run(
        make_run_dir({"9-0": clips["drop"]}, recipe_text=recipe), goldens, overrides={"frame_count_delta": 2}
    )
    assert rc.ok and rc.tolerances.frame_count_delta == 2
    with pytest.raises(InputError, match="unknown tolerance"):
        check_run(make_run_dir({"9-0": clips["drop"]}), goldens, overrides={"nope": 1})


def test_broken_golden_json_is_an_input_error(tmp_path: Path, clips, make_run_dir) -> None:
    (tmp_path / "g" / "demo").mkdir(parents=True)
    (tmp_path / "g" / "demo" / GOLDEN_META).write_text("{not json")
    with pytest.raises(InputError, match="golden"):
        check_run(make_run_dir({"9-0": clips["golden"]}), tmp_path / "g")


def test_junit_has_one_testcase_per_output_with_metrics(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"], "9-1": clips["golden"]}), goldens, update=True)
    rc = check_run(make_run_dir({"9-0": clips["seed"], "9-1": clips["reencode_crf"]}), goldens)
    path = write_junit([rc], tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"9-0.mp4", "9-1.mp4"} and cases["9-0.mp4"].get("classname") == "comfyreel.demo"
    failure = cases["9-0.mp4"].find("failure")
    assert failure is not None and "SSIM" in failure.get("message", "")
    assert cases["9-1.mp4"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in cases["9-1.mp4"].iter("property")}
    assert float(props["min_ssim"]) > 0.85


def test_html_report_is_self_contained_with_images(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    bad = check_run(make_run_dir({"9-0": clips["lora"]}), goldens, collect_images=True)
    missing = check_run(
        make_run_dir({"9-0": clips["golden"]}, recipe="other.yaml"), goldens, collect_images=True
    )
    html = write_html([bad, missing], tmp_path / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") >= 12 + 2  # keyframes golden+actual, worst pair
    assert "data:image/png;base64," in html  # heatmap
    assert 'src="http' not in html and "<script" not in html
    assert "FAIL" in html and "SamplerCustom" in html and "--update-golden" in html
    assert "<polyline" in html


def test_golden_json_schema_version_and_shape_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / GOLDEN_META).write_text('{"schema_version": 99, "outputs": {}}')
    with pytest.raises(InputError, match="schema_version"):
        GoldenMeta.load(folder)
    (folder / GOLDEN_META).write_text('{"schema_version": 1, "outputs": []}')
    with pytest.raises(InputError, match="outputs"):
        GoldenMeta.load(folder)
    (folder / GOLDEN_META).write_text('{"schema_version": 1, "outputs": {}, "tolerances": {"min_ssim": 0.5}}')
    meta = GoldenMeta.load(folder)
    assert meta is not None and meta.tolerances == {"min_ssim": 0.5}
    assert GoldenMeta.load(tmp_path / "absent") is None


def test_golden_json_is_stable_across_identical_updates(tmp_path: Path, clips, make_run_dir) -> None:
    goldens = tmp_path / "goldens"
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    first = (goldens / "demo" / GOLDEN_META).read_bytes()
    check_run(make_run_dir({"9-0": clips["golden"]}), goldens, update=True)
    assert (goldens / "demo" / GOLDEN_META).read_bytes() == first
