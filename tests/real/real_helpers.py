"""Helpers for the real-server tests."""

from __future__ import annotations

import requests


def upload_inputs(url: str, graph) -> None:
    """POST /upload/image every input file of a compiled graph (type input, its subfolder and name)."""
    for item in graph.meta["inputs"]:
        with open(item.path, "rb") as handle:
            answer = requests.post(
                f"{url}/upload/image",
                files={"image": (item.filename, handle)},
                data={"type": "input", "subfolder": item.subfolder, "overwrite": "true"},
                timeout=30,
            )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert f"{body['subfolder']}/{body['name']}" == item.name
