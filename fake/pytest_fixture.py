"""The `comfy_fake` pytest fixture: a started FakeComfyUI on tmp_path with fast delays.

Import it into a conftest (`from comfyreel.fake.pytest_fixture import comfy_fake`). Only
pytest and stdlib load at import time; the server modules load when the fixture runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from comfyreel.fake import FakeComfyUI


@pytest.fixture
def comfy_fake(tmp_path: Path) -> Iterator[FakeComfyUI]:
    """A running fake ComfyUI (function-scoped); `.url`, `.faults`, `.restart()`, `.history()`..."""
    from comfyreel.fake import FakeComfyUI

    fake = FakeComfyUI(tmp_path / "comfy-output", node_delay_s=0.002, step_delay_s=0.001)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
