"""The runner against the fake ComfyUI, one test per failure mode (no real server, no GPU)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests
from comfyreel.fake.faults import EVIL_FILENAMES
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner import http as rhttp
from comfyreel.runner import session as rsession
from comfyreel.runner.errors import (
    ExecutionFailed,
    JobLost,
    OutOfMemory,
    OutputError,
    PromptRejected,
    RunTimeout,
)
from comfyreel.runner.graph_ops import BUST_INPUT
from comfyreel.runner.manifest import Manifest
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import chain_graph, image_graph, sampler_graph, video_graph

FAST = dict(
    poll_s=0.2, fast_poll_s=0.1, lost_after_s=1.0, finish_grace_s=15.0, silence_timeout_s=30.0, timeout_s=90.0
)


def opts(**kw) -> RunOptions:
    return RunOptions(**{**FAST, **kw})


@pytest.fixture
def fake(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01) as server:
        yield server


def run(fake, graph, tmp_path, events=None, **kw):
    return run_graph(
        graph,
        server_url=fake.url,
        out_dir=tmp_path / "runs",
        options=opts(**kw),
        on_event=None if events is None else events.append,
    )


def only_manifest(tmp_path) -> Manifest:
    (run_dir,) = (tmp_path / "runs").iterdir()
    return Manifest.load(run_dir)


def test_success_outputs_manifest(fake, tmp_path):
    result = run(fake, image_graph(batch=2), tmp_path)
    assert [f.path for f in result.outputs] == ["outputs/2-0.png", "outputs/2-1.png"]
    for f in result.outputs:
        data = (result.run_dir / f.path).read_bytes()
        assert len(data) == f.size and data[:4] == b"\x89PNG"
    m = Manifest.load(result.run_dir)
    assert m.status == "success" and m.prompt_id == result.manifest.prompt_id
    assert m.server.comfyui_version and m.object_info and m.object_info.sha256
    assert json.loads((result.run_dir / "graph.json").read_text()) == image_graph(batch=2).canonical()
    assert [n.node_id for n in m.timings.nodes] == ["1", "2"] and m.timings.execution_s is not None


def test_ws_opened_before_submit_and_cached_run_seen(fake, tmp_path, monkeypatch):
    real_post, real_connect = rhttp.post_prompt, rsession.WsClient.connect
    order = []

    def checking_post(server, graph, *, client_id, prompt_id):
        order.append("post")
        return real_post(server, graph, client_id=client_id, prompt_id=prompt_id)

    def checking_connect(self):
        real_connect(self)
        order.append("connected")

    monkeypatch.setattr(rsession.http, "post_prompt", checking_post)
    monkeypatch.setattr(rsession.WsClient, "connect", checking_connect)
    run(fake, image_graph(), tmp_path / "a")
    events: list[dict] = []
    result = run(fake, image_graph(), tmp_path / "b", events)  # identical graph: fully cached
    assert order == ["connected", "post", "connected", "post"]
    assert result.manifest.cached_nodes == ["1", "2"]
    assert all(f.cached for f in result.outputs) and len(result.outputs) == 2
    kinds = [e["event"] for e in events]
    assert "cached" in kinds and "ended" in kinds  # the fast cached run was seen on the socket


def test_our_prompt_id_is_sent(fake, tmp_path):
    result = run(fake, image_graph(), tmp_path)
    assert fake.history(result.manifest.prompt_id)  # the server knows the prompt by OUR id


def test_dropped_socket_still_succeeds(fake, tmp_path):
    fake.faults.ws_drop_after = 4
    events: list[dict] = []
    result = run(fake, chain_graph(6), tmp_path, events)
    assert [f.path for f in result.outputs] == ["outputs/99-0.png"]
    assert "ws_lost" in [e["event"] for e in events]


def test_dropped_socket_every_time_still_succeeds(fake, tmp_path):
    fake.faults.ws_drop_after, fake.faults.ws_drop_once = 3, False
    result = run(fake, chain_graph(6), tmp_path)
    assert len(result.outputs) == 1 and result.manifest.status == "success"


def test_late_history_is_not_no_outputs(fake, tmp_path):
    fake.faults.history_delay_s = 1.5
    result = run(fake, image_graph(), tmp_path)
    assert len(result.outputs) == 2


def test_http_400_gives_structured_findings(fake, tmp_path):
    graph = image_graph()
    graph.nodes["1"]["inputs"]["width"] = 99999
    with pytest.raises(PromptRejected) as info:
        run(fake, graph, tmp_path, validate_online=False)
    (finding,) = info.value.findings
    assert (finding.node_id, finding.input, finding.rule) == ("1", "width", "server-value-bigger-than-max")
    assert finding.anchor() == "image.json#1(EmptyImage):width" and "16384" in (finding.fix or "")
    assert only_manifest(tmp_path).status == "prompt_rejected"
    assert info.value.exit_code == 5


def test_online_validation_catches_it_first(fake, tmp_path):
    from comfyreel.compiler.errors import GraphInvalid

    graph = image_graph()
    graph.nodes["1"]["inputs"]["width"] = 99999
    with pytest.raises(GraphInvalid):
        run(fake, graph, tmp_path)
    assert fake.prompts_seen == []


def _partial_graph():
    graph = image_graph()
    graph.nodes["3"] = {
        "class_type": "EmptyImage",
        "inputs": {"width": 99999, "height": 8, "batch_size": 1, "color": 0},
    }
    graph.nodes["4"] = {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "bad"}}
    return graph


def test_200_with_node_errors_is_a_failure(fake, tmp_path):
    fake.faults.hang_node = "1"  # keep the valid half running, so the removal is observable
    with pytest.raises(PromptRejected) as info:
        run(fake, _partial_graph(), tmp_path, validate_online=False)
    assert info.value.details["partial"] is True and info.value.exit_code == 5
    assert [f.node_id for f in info.value.findings] == ["3"]
    ours = info.value.prompt_id
    assert fake.wait_idle(10)
    assert fake.interrupts and all(rec.requested == ours for rec in fake.interrupts)  # ours only
    assert not fake.history(ours).get(ours, {}).get("outputs")  # the partial run was stopped


def test_200_with_node_errors_allowed(fake, tmp_path):
    result = run(fake, _partial_graph(), tmp_path, validate_online=False, allow_partial=True)
    assert {f.node_id for f in result.outputs} == {"2"}


def test_execution_error(fake, tmp_path):
    fake.faults.fail_node = "1"
    with pytest.raises(ExecutionFailed) as info:
        run(fake, image_graph(), tmp_path)
    exc = info.value
    assert type(exc) is ExecutionFailed and exc.exit_code == 6
    assert exc.details["node_id"] == "1" and exc.details["class_type"] == "EmptyImage"
    assert exc.details["exception_type"] == "RuntimeError" and exc.details["traceback_tail"]
    assert set(exc.details["current_inputs"].values()) <= {"<redacted>"}
    m = only_manifest(tmp_path)
    assert m.status == "execution_failed" and m.error["details"]["node_id"] == "1"


def test_out_of_memory(fake, tmp_path):
    fake.faults.oom("KSampler")
    with pytest.raises(OutOfMemory) as info:
        run(fake, sampler_graph(1), tmp_path)
    assert info.value.exit_code == 7 and info.value.details["node_id"] == "5"
    for word in ("frames", "resolution", "tiled", "text encoder", "rtx4060-8gb"):
        assert word in info.value.hint


def test_hang_times_out_and_interrupts_only_ours(fake, tmp_path):
    fake.faults.hang_node = "KSampler"
    other_id = str(uuid.uuid4())
    result: dict = {}

    def ours():
        try:
            run(fake, sampler_graph(5), tmp_path, silence_timeout_s=1.5)
        except RunTimeout as exc:
            result["exc"] = exc

    thread = threading.Thread(target=ours)
    thread.start()
    # another client's job, queued behind ours on the same server
    for _ in range(200):
        if fake.queue()["running"]:
            break
        threading.Event().wait(0.02)
    body = {"prompt": image_graph(color=1).canonical(), "client_id": "someone-else", "prompt_id": other_id}
    assert requests.post(fake.url + "/prompt", json=body, timeout=5).status_code == 200
    thread.join(60)
    assert not thread.is_alive()
    exc = result["exc"]
    assert exc.exit_code == 10
    ours_id = exc.prompt_id
    assert fake.interrupts, "no interrupt was sent"
    assert all(rec.requested == ours_id for rec in fake.interrupts)  # never global, never theirs
    fake.faults.hang_node = None
    assert fake.wait_idle(20)
    other = fake.history(other_id)[other_id]
    assert other["status"]["status_str"] == "success"


def test_pending_prompt_is_deleted_on_timeout(fake, tmp_path):
    fake.faults.hang_node = "1"
    blocker = {"prompt": image_graph(color=9).canonical(), "client_id": "blocker", "prompt_id": "blocker-1"}
    requests.post(fake.url + "/prompt", json=blocker, timeout=5)
    with pytest.raises(RunTimeout):
        run(fake, image_graph(color=3), tmp_path, silence_timeout_s=1.0, timeout_s=2.0)
    assert not fake.queue()["pending"]  # ours was removed
    assert all(rec.requested != "blocker-1" and rec.requested is not None for rec in fake.interrupts)
    requests.post(fake.url + "/interrupt", json={"prompt_id": "blocker-1"}, timeout=5)


def test_server_restart_is_job_lost(fake, tmp_path):
    fake.faults.hang_node = "13"
    events: list[dict] = []

    def restart_when_running(event):
        events.append(event)
        if event["event"] == "node" and event["node"] == "13":
            threading.Thread(target=fake.restart).start()

    with pytest.raises(JobLost) as info:
        run_graph(
            chain_graph(6),
            server_url=fake.url,
            out_dir=tmp_path / "runs",
            options=opts(silence_timeout_s=60, timeout_s=120),
            on_event=restart_when_running,
        )
    assert info.value.exit_code == 9
    assert only_manifest(tmp_path).status == "lost"


def test_video_under_images_animated(fake, tmp_path):
    result = run(fake, video_graph(), tmp_path)
    (video,) = result.outputs
    assert (video.kind, video.path, video.subfolder) == ("videos", "outputs/3-0.mp4", "video")
    import av

    with av.open(str(result.run_dir / video.path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (frames, stream.average_rate, stream.width) == (9, 8, 64)  # the graph's 9 frames at 8 fps


def test_vhs_gifs_found(tmp_path):
    vhs = {
        "VHS_VideoCombine": {
            "input": {
                "required": {
                    "images": ["IMAGE"],
                    "frame_rate": ["FLOAT", {"default": 8}],
                    "filename_prefix": ["STRING", {"default": "AnimateDiff"}],
                    "format": [["video/h264-mp4"], {}],
                }
            },
            "input_order": {"required": ["images", "frame_rate", "filename_prefix", "format"]},
            "output": ["VHS_FILENAMES"],
            "output_is_list": [False],
            "output_name": ["Filenames"],
            "name": "VHS_VideoCombine",
            "display_name": "Video Combine",
            "description": "",
            "category": "VHS",
            "output_node": True,
            "python_module": "custom_nodes.ComfyUI-VideoHelperSuite",
        }
    }
    graph = image_graph(batch=9)
    graph.nodes["2"] = {
        "class_type": "VHS_VideoCombine",
        "inputs": {"images": ["1", 0], "frame_rate": 8, "filename_prefix": "vhs", "format": "video/h264-mp4"},
    }
    with FakeComfyUI(tmp_path / "srv", extra_nodes=vhs) as fake:
        result = run(fake, graph, tmp_path)
    (f,) = result.outputs
    assert f.kind == "gifs" and f.path == "outputs/2-0.mp4"
    assert result.manifest.server.custom_nodes == ["custom_nodes.ComfyUI-VideoHelperSuite"]


def test_path_traversal_names_refused(fake, tmp_path):
    fake.faults.evil_filenames = EVIL_FILENAMES
    with pytest.raises(OutputError) as info:
        run(fake, image_graph(batch=1), tmp_path)
    assert "unsafe" in info.value.message
    everything = {p.resolve() for p in tmp_path.rglob("*")}
    assert all(str(p).startswith(str(tmp_path.resolve())) for p in everything)
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "outputs").exists() or not any((run_dir / "outputs").iterdir())


def test_truncated_download_refused(fake, tmp_path):
    fake.faults.view_truncate_after = 10
    with pytest.raises(OutputError) as info:
        run(fake, image_graph(batch=1), tmp_path)
    assert "is incomplete: 10 of" in info.value.message  # our Content-Length check, whatever urllib3 does
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not list((run_dir / "outputs").glob("*.png"))


def test_bust_cache_really_executes(fake, tmp_path):
    run(fake, image_graph(), tmp_path / "a")
    result = run(fake, image_graph(), tmp_path / "b", bust_cache=True)
    assert result.manifest.cached_nodes == [] and result.manifest.cache_bust
    assert not any(f.cached for f in result.outputs)
    submitted = fake.prompts_seen[-1]
    assert json.dumps(submitted).count(BUST_INPUT) == 1  # only the root node carries it


def test_bust_cache_keeps_the_pixels(fake, tmp_path):
    """Like a real server, an undeclared input reaches no node: a busted re-render is bit-identical."""
    plain = run(fake, image_graph(), tmp_path / "a")
    fake.restart()  # forget the cache, so the plain run below really executes too
    busted = run(fake, image_graph(), tmp_path / "b", bust_cache=True)
    assert [f.sha256 for f in busted.outputs] == [f.sha256 for f in plain.outputs]


def test_ten_runners_in_parallel_no_crossed_events(fake, tmp_path):
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def one(seed: int) -> None:
        try:
            results[seed] = run(fake, sampler_graph(seed, prefix=f"p{seed}"), tmp_path / f"r{seed}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(seed,)) for seed in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    digests = {}
    for seed, result in results.items():
        (out,) = result.outputs
        assert result.manifest.seeds == {"5.seed": seed}
        assert out.filename.startswith(f"p{seed}_")  # our own file, from our own history entry
        digests[seed] = out.sha256
    assert len(set(digests.values())) == 10  # different seeds, different pixels: nothing crossed
    again = run(fake, sampler_graph(3, prefix="again"), tmp_path / "again")  # same seed, same pixels
    assert again.outputs[0].sha256 == digests[3]


def test_silent_socket_error_found_in_history(fake, tmp_path):
    fake.faults.ws_silent = True
    fake.faults.fail_node = "2"
    with pytest.raises(ExecutionFailed) as info:
        run(fake, image_graph(), tmp_path)
    assert info.value.details["node_id"] == "2"


def test_silent_socket_success_by_polling(fake, tmp_path):
    fake.faults.ws_silent = True
    result = run(fake, image_graph(), tmp_path)
    assert len(result.outputs) == 2


def test_hostile_unknown_frames_ignored(fake, tmp_path):
    fake.faults.ws_inject_unknown = True
    result = run(fake, image_graph(), tmp_path)
    assert len(result.outputs) == 2


def test_jobs_api_server(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.01, version="0.8.0") as fake:
        fake.faults.ws_silent = True
        fake.faults.history_delay_s = 0.5
        result = run(fake, video_graph(), tmp_path)
    assert [f.kind for f in result.outputs] == ["videos"]


def test_ctrl_c_removes_only_our_prompt(fake, tmp_path):
    fake.faults.hang_node = "KSampler"
    pressed = []

    def press_ctrl_c(event):
        if event["event"] == "node" and event["node"] == "5" and not pressed:
            pressed.append(True)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_graph(
            sampler_graph(8),
            server_url=fake.url,
            out_dir=tmp_path / "runs",
            options=opts(),
            on_event=press_ctrl_c,
        )
    m = only_manifest(tmp_path)
    assert m.status == "interrupted"
    assert [rec.requested for rec in fake.interrupts] == [m.prompt_id]
    fake.faults.hang_node = None
    assert fake.wait_idle(10)


def test_credentials_never_written(fake, tmp_path):
    url = fake.url.replace("http://", "http://alice:pw-SECRET@")
    events: list[dict] = []
    result = run_graph(
        image_graph(),
        server_url=url,
        out_dir=tmp_path / "runs",
        options=opts(headers={"Authorization": "Bearer TOKEN-SECRET"}),
        on_event=events.append,
    )
    text = (result.run_dir / "manifest.json").read_text() + json.dumps(events)
    assert "SECRET" not in text and result.manifest.server.url == fake.url
    graph = image_graph()
    graph.nodes["1"]["inputs"]["width"] = 99999
    with pytest.raises(PromptRejected) as info:
        run_graph(graph, server_url=url, out_dir=tmp_path / "runs2", options=opts(validate_online=False))
    assert "SECRET" not in json.dumps(info.value.to_dict(), default=str)


def test_server_down_is_server_unavailable(tmp_path):
    from comfyreel.runner.errors import ServerUnavailable
    from comfyreel.runner.launch import free_port

    with pytest.raises(ServerUnavailable) as info:
        run_graph(
            image_graph(), server_url=f"http://127.0.0.1:{free_port()}", out_dir=tmp_path, options=opts()
        )
    assert info.value.exit_code == 3


@pytest.mark.parametrize(
    ("route", "switch", "value", "error"),
    [
        ("/prompt", "http_status_routes", {"/prompt": 503}, "ServerUnavailable"),
        ("/prompt", "http_status_routes", {"/prompt": 500}, "ProtocolError"),
        ("/prompt", "malformed_json_routes", {"/prompt"}, "ProtocolError"),
        ("/history", "malformed_json_routes", {"/history"}, "ProtocolError"),
    ],
)
def test_hostile_http_answers_are_clear_errors(fake, tmp_path, route, switch, value, error):
    setattr(fake.faults, switch, value)
    with pytest.raises(rsession.RunError) as info:
        run(fake, image_graph(), tmp_path)
    assert type(info.value).__name__ == error and route in info.value.message
    assert only_manifest(tmp_path).status == info.value.kind


def test_interrupted_by_someone_else(fake, tmp_path):
    from comfyreel.runner.errors import Interrupted

    fake.faults.hang_node = "KSampler"

    def global_interrupt(event):
        if event["event"] == "node" and event["node"] == "5":
            threading.Thread(
                target=requests.post, args=(fake.url + "/interrupt",), kwargs={"timeout": 5}
            ).start()

    with pytest.raises(Interrupted) as info:
        run_graph(
            sampler_graph(2),
            server_url=fake.url,
            out_dir=tmp_path / "runs",
            options=opts(),
            on_event=global_interrupt,
        )
    assert info.value.exit_code == 8 and "not by this run" in info.value.message
    assert [rec.requested for rec in fake.interrupts] == [None]  # the global one was theirs, not ours


def test_output_node_without_files_is_output_error(tmp_path):
    node = {
        "input": {"required": {"images": ["IMAGE"]}},
        "input_order": {"required": ["images"]},
        "output": [],
        "output_is_list": [],
        "output_name": [],
        "name": "NoFileOutput",
        "display_name": "No file",
        "description": "",
        "category": "test",
        "output_node": True,
        "python_module": "custom_nodes.nofile",
    }
    graph = image_graph()
    graph.nodes["3"] = {"class_type": "NoFileOutput", "inputs": {"images": ["1", 0]}}
    with (
        FakeComfyUI(tmp_path / "srv", extra_nodes={"NoFileOutput": node}) as fake,
        pytest.raises(OutputError) as info,
    ):
        run(fake, graph, tmp_path, finish_grace_s=1.0)
    assert "3" in info.value.message and info.value.anchor == "image.json#3(NoFileOutput)"
    m = only_manifest(tmp_path)
    assert m.status == "output" and [f.node_id for f in m.outputs] == ["2", "2"]


def test_peak_vram_sampled_during_the_run(tmp_path):
    with FakeComfyUI(tmp_path / "srv", node_delay_s=0.15, step_delay_s=0.05) as fake:
        result = run(fake, sampler_graph(11), tmp_path)
    assert result.manifest.peak_vram_bytes and result.manifest.peak_vram_bytes > 0
    phases = {n.node_id: n.phase for n in result.manifest.timings.nodes}
    assert phases["1"] == "load" and phases["5"] == "sample" and phases["6"] == "decode"


def test_lost_post_answer_is_followed_by_our_prompt_id(fake, tmp_path, monkeypatch):
    from comfyreel.runner.errors import ServerUnavailable

    real_post = rhttp.post_prompt

    def post_then_lose_answer(server, graph, *, client_id, prompt_id):
        real_post(server, graph, client_id=client_id, prompt_id=prompt_id)
        raise ServerUnavailable("POST /prompt: no answer (ReadTimeout)", details={"maybe_sent": True})

    monkeypatch.setattr(rsession.http, "post_prompt", post_then_lose_answer)
    events: list[dict] = []
    result = run(fake, image_graph(), tmp_path, events)
    assert len(result.outputs) == 2 and any(e["event"] == "warning" for e in events)
