"""The in-process dispatcher against fake ComfyUI servers (real sockets): the issue's must-show cases."""

from __future__ import annotations

import html.parser
import json
import threading
import time
from pathlib import Path

import pytest
from batch_helpers import PLAIN, SWEEP, prompt_ids, schema_without, write_recipe
from comfyreel.batch.dispatch import PROFILE_HINT, BatchOptions, Dispatcher
from comfyreel.batch.fleet import ServerState
from comfyreel.batch.jobs import make_jobs
from comfyreel.batch.sheet import write_sheet
from comfyreel.runner.session import RunOptions

FAST = RunOptions(poll_s=0.2, fast_poll_s=0.1, lost_after_s=1.0, unreachable_s=2.0, silence_timeout_s=30)


def dispatch(jobs, fakes, out: Path, engine: str = "local", **options) -> list:
    states = [ServerState(f.url) for f in fakes]
    cls = Dispatcher
    if engine == "ray":
        from comfyreel.batch.ray_engine import RayDispatcher

        cls = RayDispatcher
    return cls(jobs, states, out, BatchOptions(run=FAST, **options)).run()


class _Cells(html.parser.HTMLParser):
    """(row, column, data-axes) of every contact-sheet cell."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[int, int, dict]] = []
        self.row, self.col = -1, -1

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.row, self.col = self.row + 1, -1
        if tag in ("td", "th"):
            self.col += 1
            if "cell" in (attrs.get("class") or ""):
                self.cells.append((self.row, self.col, json.loads(attrs["data-axes"])))


def test_matrix_over_three_servers_gives_six_runs_and_a_sheet_on_the_axes(engine, fleet, tmp_path):
    fakes = fleet(3)
    jobs = make_jobs([write_recipe(tmp_path, SWEEP, "sweep.yaml")])
    outcomes = dispatch(jobs, fakes, tmp_path / "out", engine, per_server=1)
    assert [o.status for o in outcomes] == ["success"] * 6
    folders = sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert folders == sorted(j.name for j in jobs) and len(set(folders)) == 6
    assert all(len(prompt_ids(f)) >= 1 for f in fakes)  # every server used
    assert {o.server for o in outcomes} == {f.url for f in fakes}
    for outcome in outcomes:
        manifest = json.loads((tmp_path / "out" / outcome.job.name / "manifest.json").read_text())
        assert (
            manifest["prompt_id"] == outcome.job.prompt_id
            and manifest["recipe"]["variant"] == outcome.job.variant
        )
    parser = _Cells()
    parser.feed(write_sheet(outcomes, tmp_path / "out").read_text())
    assert len(parser.cells) == 6
    seeds, strengths = [1, 2, 3], [0.4, 0.8]  # seed across (columns 1..3), LoRA strength down (rows 1..2)
    for row, col, axes in parser.cells:
        assert axes == {"seed": seeds[col - 1], "loras.0.strength": strengths[row - 1]}
    assert parser.cells[0][2] != parser.cells[1][2]
    assert "data:image/jpeg;base64," in (tmp_path / "out" / "index.html").read_text()


def test_a_server_killed_mid_batch_loses_no_job_and_renders_none_twice(engine, fleet, tmp_path):
    fakes = fleet(3, node_delay_s=0.05)
    jobs = make_jobs([write_recipe(tmp_path, PLAIN, "plain.yaml")], ["seed=1..9"])
    victim = fakes[1]

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 30
        while not victim.queue()["running"] and time.monotonic() < deadline:
            time.sleep(0.01)
        victim.stop()

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    outcomes = dispatch(jobs, fakes, tmp_path / "out", engine, per_server=1)
    killer.join()
    assert [o.status for o in outcomes] == ["success"] * 9
    moved = [o for o in outcomes if o.attempts > 1]
    assert moved and all(o.server != victim.url for o in moved)
    survivors = [f for f in fakes if f is not victim]
    rendered = [pid for f in survivors for pid, e in f.history().items() if e["status"]["completed"]]
    assert len(rendered) == len(set(rendered))  # none rendered twice on the live servers
    finished_on_victim = {o.job.prompt_id for o in outcomes if o.server == victim.url}
    assert not finished_on_victim & set(rendered)
    assert len(rendered) + len(finished_on_victim) == 9


def test_a_node_only_one_server_has_goes_only_there(engine, fleet, tmp_path):
    no_lora = schema_without("LoraLoaderModelOnly")
    full, *reduced = fleet(3, per=[{}, {"object_info": no_lora}, {"object_info": no_lora}])
    jobs = make_jobs(
        [write_recipe(tmp_path, SWEEP, "sweep.yaml"), write_recipe(tmp_path, PLAIN, "plain.yaml")]
    )
    outcomes = dispatch(jobs, [full, *reduced], tmp_path / "out", engine, per_server=1)
    assert all(o.status == "success" for o in outcomes)
    lora_ids = {o.job.prompt_id for o in outcomes if o.job.recipe.endswith("sweep.yaml")}
    assert {o.server for o in outcomes if o.job.prompt_id in lora_ids} == {full.url}
    assert not lora_ids & {pid for f in reduced for pid in prompt_ids(f)}


def test_a_server_without_the_model_files_gets_no_job(fleet, tmp_path):
    stocked, empty = fleet(2, per=[{}, {"models": []}])  # `empty` lists no model files at all
    jobs = make_jobs([write_recipe(tmp_path, PLAIN, "plain.yaml")], ["seed=1..4"])
    outcomes = dispatch(jobs, [stocked, empty], tmp_path / "out", per_server=1)
    assert [o.server for o in outcomes] == [stocked.url] * 4
    assert prompt_ids(empty) == []


def test_no_server_with_the_node_fails_once_without_retry(fleet, tmp_path):
    fakes = fleet(2, object_info=schema_without("LoraLoaderModelOnly"))
    jobs = make_jobs([write_recipe(tmp_path, SWEEP, "sweep.yaml")], ["seed=1", "loras.0.strength=0.4"])
    (outcome,) = dispatch(jobs, fakes, tmp_path / "out")
    assert outcome.status == "failed" and outcome.error["error"] == "graph_invalid"
    assert (
        "no server can render it" in outcome.error["message"]
        and "LoraLoaderModelOnly" in outcome.error["message"]
    )
    assert all(prompt_ids(f) == [] for f in fakes)


def _node_of(job, class_type: str) -> str:
    return next(nid for nid, node in job.graph.nodes.items() if node["class_type"] == class_type)


def test_node_error_is_not_retried_and_oom_carries_the_profile_hint(fleet, tmp_path):
    fakes = fleet(2)
    jobs = make_jobs([write_recipe(tmp_path, PLAIN, "plain.yaml")])
    for fake in fakes:
        fake.faults.oom(_node_of(jobs[0], "SamplerCustom"))
    (outcome,) = dispatch(jobs, fakes, tmp_path / "out")
    assert outcome.status == "failed" and outcome.error["error"] == "out_of_memory"
    assert PROFILE_HINT in outcome.error["hint"] and outcome.attempts == 1
    assert sum(len(prompt_ids(f)) for f in fakes) == 1


def test_existing_runs_need_resume(fleet, tmp_path):
    from comfyreel.compiler.errors import UsageError

    fakes = fleet(1)
    jobs = make_jobs([write_recipe(tmp_path, PLAIN, "plain.yaml")])
    dispatch(jobs, fakes, tmp_path / "out")
    with pytest.raises(UsageError, match="add --resume"):
        dispatch(jobs, fakes, tmp_path / "out")
    (again,) = dispatch(jobs, fakes, tmp_path / "out", resume=True)
    assert again.status == "skipped" and len(prompt_ids(fakes[0])) == 1
