"""`comfyreel compare`, `check` and `rerun` in-process through main(argv): output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from comfyreel.cli import main


def test_compare_exit_codes(clips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(clips["reencode_crf"]), str(clips["golden"])]) == 0
    assert main(["compare", str(clips["seed"]), str(clips["golden"])]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "worst frames" in out
    assert main(["compare", str(clips["garbage"]), str(clips["golden"])]) == 2
    err = capsys.readouterr().err
    assert "garbage.mp4" in err and "Traceback" not in err


def test_compare_json(clips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(clips["drop"]), str(clips["golden"]), "--json", "--per-frame"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and "frame_count" in {r["code"] for r in data["reasons"]}
    assert len(data["per_frame"]["ssim"]) == 16
    assert main(["compare", str(clips["truncated"]), str(clips["golden"]), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["error"]["error"] == "media_unreadable"


def test_compare_tolerance_flag(clips: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", str(clips["noaudio"]), str(clips["golden"])]
    assert main(args) == 1
    assert main([*args, "--tolerance", "audio_required=false"]) == 0
    assert main([*args, "-t", "nonsense=1"]) == 2
    assert "unknown tolerance" in capsys.readouterr().err


def test_check_missing_update_pass_fail_and_reports(
    tmp_path: Path, clips: dict[str, Path], make_run_dir, capsys: pytest.CaptureFixture[str]
) -> None:
    goldens = tmp_path / "goldens"
    run = make_run_dir({"9-0": clips["golden"]})
    assert main(["check", str(run), "--golden", str(goldens)]) == 1
    assert "--update-golden" in capsys.readouterr().out
    assert main(["check", str(run), "--golden", str(goldens), "--update-golden"]) == 0
    assert "added" in capsys.readouterr().out
    good, bad = make_run_dir({"9-0": clips["reencode_bitrate"]}), make_run_dir({"9-0": clips["seed"]})
    assert main(["check", str(good), "--golden", str(goldens)]) == 0
    assert "PASS demo" in capsys.readouterr().out
    junit, html = tmp_path / "r.xml", tmp_path / "r.html"
    code = main(
        [
            "check",
            str(good),
            str(bad),
            "--golden",
            str(goldens),
            "--junit",
            str(junit),
            "--html",
            str(html),
            "--json",
        ]
    )
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in data["runs"]] == [True, False]
    assert "<testcase" in junit.read_text() and "data:image/jpeg;base64," in html.read_text()


def test_check_bad_run_dir_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope"), "--golden", str(tmp_path)]) == 2
    assert "manifest" in capsys.readouterr().err


def test_rerun_refuses_an_edited_graph(
    tmp_path: Path, clips: dict[str, Path], make_run_dir, capsys: pytest.CaptureFixture[str]
) -> None:
    run = make_run_dir({"9-0": clips["golden"]})
    (run / "graph.json").write_text('{"1": {"class_type": "Edited", "inputs": {}}}\n')
    assert main(["rerun", str(run / "manifest.json"), "--server", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "sha256" in err and "manifest" in err and "graph.json" in err
