"""A protocol-faithful fake ComfyUI (HTTP + websocket) for tests, demos and `comfyreel fake-server`.

Messages and bodies are built from real recordings (shared/comfyui/traces), not from
`comfyreel.runner.protocol`, so a bug in the client's model of the protocol cannot hide here.
"""

from __future__ import annotations

from comfyreel.fake.faults import EVIL_FILENAMES, OOM_EXCEPTION_TYPE, OOM_MESSAGE, Faults
from comfyreel.fake.server import FakeComfyUI

__all__ = ["EVIL_FILENAMES", "OOM_EXCEPTION_TYPE", "OOM_MESSAGE", "FakeComfyUI", "Faults"]
