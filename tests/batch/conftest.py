"""Fixtures for batch tests: a fleet of fake ComfyUI servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from comfyreel.fake import FakeComfyUI


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Callable[..., list[FakeComfyUI]]]:
    """``fleet(n, **kwargs)`` -> n started fakes (kwargs per fake via ``per=[{...}, ...]``)."""
    started: list[FakeComfyUI] = []

    def make(n: int, per: list[dict[str, Any]] | None = None, **common: Any) -> list[FakeComfyUI]:
        for index in range(n):
            options = {"node_delay_s": 0.02, **common, **((per or [{}] * n)[index])}
            fake = FakeComfyUI(tmp_path / f"fake{len(started)}" / "output", **options).start()
            started.append(fake)
        return started[-n:]

    yield make
    for fake in started:
        fake.stop()
