"""Helpers for batch tests: small sweep recipes, reduced schemas, prompt counts."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from comfyreel.fake import FakeComfyUI

LORA = "ltx-2-19b-lora-camera-control-dolly-left.safetensors"  # a LoRA every fake lists
SWEEP = f"""\
name: sweep
model: ltxv-t2v
prompt: a red fox
frames: 9
fps: 24
width: 256
height: 256
loras: [{{name: {LORA}, strength: 0.5}}]
matrix:
  seed: [1, 2, 3]
  loras.0.strength: [0.4, 0.8]
"""
PLAIN = """\
name: plain
model: ltxv-t2v
prompt: a blue bird
frames: 9
fps: 24
width: 256
height: 256
"""


def write_recipe(folder: Path, text: str, name: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def schema_without(*classes: str) -> dict[str, Any]:
    """The fake's pinned /object_info minus some node classes (a server without that node pack)."""
    data = json.loads(files("comfyreel.compiler.data").joinpath("object_info-0.27.0.json").read_text())
    return {name: entry for name, entry in data.items() if name not in classes}


def prompt_ids(fake: FakeComfyUI) -> list[str]:
    return [p.get("prompt_id") for p in fake.prompts_seen if isinstance(p, dict)]
