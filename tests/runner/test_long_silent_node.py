"""A node may compute for minutes without one event (a checkpoint load, an untiled VAE decode): on a
real server nothing arrives between its ``executing`` and the next node's. Silence shorter than the
silence timeout is not a lost job, a dropped socket or a failure, whatever the poll cadence."""

from __future__ import annotations

from comfyreel.fake import FakeComfyUI
from comfyreel.runner.session import RunOptions, run_graph
from runner_graphs import image_graph


def test_a_node_silent_for_many_poll_periods_still_succeeds(tmp_path):
    events: list[dict] = []
    with FakeComfyUI(tmp_path / "srv") as fake:
        fake.faults.hang_node = "EmptyImage"
        fake.faults.hang_s = 2.0  # 10 poll periods and 4x lost_after_s without a frame
        fake.faults.hang_ignores_interrupt = True  # an uninterruptible kernel, like a real decode
        result = run_graph(
            image_graph(batch=1),
            server_url=fake.url,
            out_dir=tmp_path / "runs",
            options=RunOptions(poll_s=0.2, fast_poll_s=0.05, lost_after_s=0.5, silence_timeout_s=30.0),
            on_event=events.append,
        )
        assert fake.interrupts == []
    assert result.manifest.status == "success"
    assert [f.node_id for f in result.outputs] == ["2"]
    assert not [e for e in events if e["event"] in ("ws_lost", "reconnected", "warning", "cancel")]
