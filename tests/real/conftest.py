"""Tests against a real ComfyUI: they run only when COMFYUI_URL is set (e.g. http://127.0.0.1:8188)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def comfyui_url() -> str:
    url = os.environ.get("COMFYUI_URL")
    if not url:
        pytest.skip("COMFYUI_URL is not set: no real ComfyUI to test against")
    return url.rstrip("/")
