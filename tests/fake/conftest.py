"""Fixtures for the fake server's own tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from comfyreel.fake import FakeComfyUI
from fake_trace_tools import RECORDED_MODELS


@pytest.fixture
def recorded_fake(tmp_path: Path) -> Iterator[FakeComfyUI]:
    """A fake configured like the recording server (same model files), fast."""
    with FakeComfyUI(tmp_path / "out", models=RECORDED_MODELS, node_delay_s=0.001) as fake:
        yield fake


@pytest.fixture
def slow_fake(tmp_path: Path) -> Iterator[FakeComfyUI]:
    """Nodes take 80 ms each, so a client can act while a prompt runs."""
    with FakeComfyUI(tmp_path / "out", models=RECORDED_MODELS, node_delay_s=0.08) as fake:
        yield fake


@pytest.fixture
def fake_080(tmp_path: Path) -> Iterator[FakeComfyUI]:
    """A fake speaking the 0.8.0 protocol (jobs API)."""
    with FakeComfyUI(tmp_path / "out", models=RECORDED_MODELS, node_delay_s=0.001, version="0.8.0") as fake:
        yield fake
