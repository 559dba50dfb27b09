"""Fixtures for batch tests: a fleet of fake ComfyUI servers, run by the local engine or by Ray.

Tests taking ``engine`` run twice: ``local`` (the in-process dispatcher) and ``ray`` (the same jobs
as Ray tasks on a local ``ray.init`` cluster). The Ray runs are opt-in (``COMFYREEL_RAY_TESTS=1``):
on the 2-core CI box importing Ray and ``ray.init`` alone took 85 s with the suite running beside
it, which does not fit the suite's budget.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from comfyreel.fake import FakeComfyUI

RAY_SERVERS = 3  # fakes a Ray test may start (each has a custom resource declared at ray.init)
PER_SERVER = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ray_ports() -> Iterator[list[int]]:
    """A local Ray cluster with one ``comfyui_<host>_<port>`` resource per reserved fake port."""
    if not os.environ.get("COMFYREEL_RAY_TESTS"):
        pytest.skip("Ray runs are opt-in: COMFYREEL_RAY_TESTS=1 (ray.init takes over a minute on 2 cores)")
    ray = pytest.importorskip("ray", reason="needs the ray extra: pip install 'comfyreel[ray]'")
    from comfyreel.batch.ray_engine import local_cluster

    ports = [_free_port() for _ in range(RAY_SERVERS)]
    ray.init(**local_cluster([f"http://127.0.0.1:{p}" for p in ports], PER_SERVER))
    yield ports
    ray.shutdown()


@pytest.fixture(params=["local", "ray"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "ray":
        request.getfixturevalue("ray_ports")
    return str(request.param)


@pytest.fixture
def fleet(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., list[FakeComfyUI]]]:
    """``fleet(n, **kwargs)`` -> n started fakes (kwargs per fake via ``per=[{...}, ...]``).

    Under the ``ray`` engine the fakes listen on the ports whose resources the cluster declared.
    """
    started: list[FakeComfyUI] = []
    ports: list[int] | None = None
    if "engine" in request.fixturenames and request.getfixturevalue("engine") == "ray":
        ports = request.getfixturevalue("ray_ports")

    def make(n: int, per: list[dict[str, Any]] | None = None, **common: Any) -> list[FakeComfyUI]:
        for index in range(n):
            options = {"node_delay_s": 0.02, **common, **((per or [{}] * n)[index])}
            if ports is not None:
                options["port"] = ports[len(started)]
            fake = FakeComfyUI(tmp_path / f"fake{len(started)}" / "output", **options).start()
            started.append(fake)
        return started[-n:]

    yield make
    for fake in started:
        fake.stop()
