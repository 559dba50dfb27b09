"""``--engine ray``: the same jobs and the same placement rules, each render run as a Ray task.

The driver keeps the dispatcher's decisions (which server can render a job, the least busy one,
at most ``per_server`` of ours on each, moving lost jobs, resume); the render itself (websocket,
polls, downloads, manifest) runs as a Ray task that needs one unit of the server's custom resource
(:func:`resource_name`), so Ray places it on the node that declared that ComfyUI and never runs
more than that many at once. ``max_retries`` re-runs a task whose worker or node died. Run folders
go to ``--out``, which must be a folder every node sees (a shared filesystem) on a real cluster.

Without ``--ray-address`` a local Ray instance is started with one resource per ``--server``. On a
cluster, start each GPU node with its ComfyUI's resource (see README: "Ray clusters").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from comfyreel.batch.dispatch import BatchOptions, Dispatcher, EventSink, Outcome
from comfyreel.batch.fleet import ServerState
from comfyreel.batch.jobs import Job
from comfyreel.compiler.errors import ComfyreelError, MissingExtra
from comfyreel.runner.session import RunOptions

TASK_RETRIES = 2  # Ray re-runs a render whose worker process or node died


def resource_name(url: str) -> str:
    """The Ray custom resource of one ComfyUI: ``comfyui_<host>_<port>`` from its URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return "comfyui_" + re.sub(r"[^A-Za-z0-9_.-]", "_", f"{parts.hostname}_{port}")


def local_cluster(servers: list[str], per_server: int) -> dict[str, Any]:
    """``ray.init`` arguments for a local instance: one resource per server, and enough CPUs.

    The CPU count matters although render tasks ask for none: Ray keeps about that many idle
    workers, so with fewer CPUs than concurrent renders it would kill and restart worker processes
    (each re-importing comfyreel) between tasks.
    """
    import os

    slots = len(servers) * per_server
    return {
        "include_dashboard": False,
        "log_to_driver": False,
        "num_cpus": max(os.cpu_count() or 1, slots),
        "resources": {resource_name(url): float(per_server) for url in servers},
    }


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtra("--engine ray", "ray", "ray") from None
    return ray


def _render_task(graph: Any, loaded: Any, server_url: str, out: str, options: RunOptions) -> dict[str, Any]:
    """Body of the Ray task: one run_graph on the node; errors come back as data (always picklable)."""
    from comfyreel.runner.session import run_graph

    try:
        result = run_graph(graph, server_url=server_url, out_dir=out, options=options, loaded=loaded)
    except ComfyreelError as exc:
        return {"error": type(exc).__name__, "message": exc.message, "hint": exc.hint, "anchor": exc.anchor}
    return {"files": [f.path for f in result.files]}


def _rebuild(data: dict[str, Any], url: str) -> ComfyreelError:
    """The runner's error class again, from a task's answer (unknown names become a RunError)."""
    from comfyreel.runner import errors

    cls = getattr(errors, str(data.get("error")), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.RunError)):
        cls = errors.RunError
    return cls(str(data.get("message")), hint=data.get("hint"), anchor=data.get("anchor"), url=url)


class RayDispatcher(Dispatcher):
    """The dispatcher with each render sent to Ray (placed by the server's custom resource)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ray = _ray()
        self._task = ray.remote(max_retries=TASK_RETRIES)(_render_task)

    def render(self, job: Job, server: ServerState, options: RunOptions) -> list[str]:
        ray = _ray()
        ref = self._task.options(resources={resource_name(server.url): 1}, num_cpus=0).remote(
            job.graph, job.loaded, server.full_url, str(self.out), options
        )
        answer = ray.get(ref)
        if "error" in answer:
            raise _rebuild(answer, server.url)
        return list(answer["files"])


def run_ray(
    jobs: list[Job],
    servers: list[str],
    out: Path,
    options: BatchOptions,
    headers: dict[str, str],
    address: str | None,
    on_event: EventSink | None,
) -> tuple[list[Outcome], list[ServerState]]:
    """Run the batch on Ray (a local instance unless *address* names a cluster)."""
    ray = _ray()
    states = [ServerState(url, headers=headers) for url in servers]
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(**local_cluster(servers, options.per_server))
    try:
        outcomes = RayDispatcher(jobs, states, out, options, on_event).run()
    finally:
        if started_here:
            ray.shutdown()
    return outcomes, states
