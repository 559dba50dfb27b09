"""Hostile shapes in /history, /queue and websocket frames: a ProtocolError or an ignored message,
never an AttributeError/TypeError escaping the runner (found by the reliability suite)."""

from __future__ import annotations

import pytest
from comfyreel.runner import protocol as p
from comfyreel.runner.errors import ProtocolError

PID = "p"
HISTORY = {
    "status-str": {PID: {"status": "x", "outputs": {}}},
    "status-list": {PID: {"status": [1], "outputs": {}}},
    "outputs-list": {PID: {"status": {}, "outputs": [1]}},
    "outputs-str": {PID: {"status": {}, "outputs": "x"}},
    "messages-int": {PID: {"status": {"messages": 5}, "outputs": {}}},
}


@pytest.mark.parametrize("name", sorted(HISTORY))
def test_history_with_wrong_shapes_is_a_protocol_error(name):
    with pytest.raises(ProtocolError):
        p.parse_history(HISTORY[name], PID)


@pytest.mark.parametrize("body", [{"queue_running": "x", "queue_pending": 5}, {"queue_running": 5}])
def test_queue_with_wrong_shapes_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        p.parse_queue(body)


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": "status", "data": {"status": "x"}}',
        '{"type": "status", "data": {"status": {"exec_info": 5}}}',
        '{"type": "progress_state", "data": {"prompt_id": "p", "nodes": 5}}',
    ],
)
def test_malformed_frames_are_unknown_messages(frame):
    assert isinstance(p.parse_message(frame), p.Unknown)


def test_well_formed_history_still_parses():
    entry = p.parse_history(
        {PID: {"status": {"status_str": "success", "completed": True, "messages": []}, "outputs": {"9": {}}}},
        PID,
    )
    assert entry is not None and entry.completed and entry.outputs == {"9": {}}
