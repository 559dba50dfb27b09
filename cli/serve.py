"""CLI command `comfyreel fake-server`: run the protocol-faithful fake ComfyUI until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from comfyreel.cli import Commands, add_command, echo


def register(commands: Commands) -> None:
    """Add this module's commands."""
    cmd = add_command(commands, "fake-server", fake_server)
    cmd.add_argument("--host", default="127.0.0.1", help="Interface to bind (keep it on loopback).")
    cmd.add_argument("--port", type=int, default=8188, help="TCP port (0 = any free port).")
    cmd.add_argument("--output-dir", type=Path, help="Where outputs go (default: a temp dir).")
    cmd.add_argument("--node-delay", type=float, default=0.05, help="Seconds each node 'runs'.")
    cmd.add_argument("--step-delay", type=float, default=0.02, help="Seconds per sampler step.")
    cmd.add_argument("--version", default="0.3.64", help="Protocol version to mimic: 0.3.64 or 0.8.0.")
    cmd.add_argument(
        "--object-info",
        metavar="FILE",
        type=Path,
        help="Serve this /object_info or `comfyreel snapshot` file (a snapshot's model lists too).",
    )


def fake_server(
    host: str = "127.0.0.1",
    port: int = 8188,
    output_dir: Path | None = None,
    node_delay: float = 0.05,
    step_delay: float = 0.02,
    version: str = "0.3.64",
    object_info: Path | None = None,
) -> None:
    """Serve a fake ComfyUI (HTTP + websocket) that renders deterministic videos."""
    import signal
    import threading

    from comfyreel.compiler.errors import UsageError
    from comfyreel.fake import FakeComfyUI
    from comfyreel.fake.core import VERSIONS

    if version not in VERSIONS:
        raise UsageError(f"unknown --version {version!r}", hint=f"use one of: {', '.join(VERSIONS)}")
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        # Set explicitly: a shell may start us with SIGINT ignored (background jobs).
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    schema, models = load_served_schema(object_info) if object_info is not None else (None, None)
    fake = FakeComfyUI(
        output_dir,
        object_info=schema,
        models=models,
        node_delay_s=node_delay,
        step_delay_s=step_delay,
        version=version,
        host=host,
        port=port,
    )
    try:
        fake.start()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port (0 = any free port)",
        ) from None
    echo(
        f"fake ComfyUI {version} serving at {fake.url} (outputs in {fake.output_dir}); Ctrl-C to stop",
        err=False,
    )
    try:
        while not stop.wait(0.5):
            pass
        echo("stopping", err=True)
    finally:
        fake.stop()


def load_served_schema(path: Path) -> tuple[dict, dict[str, list[str]] | None]:
    """``(object_info, models)`` to serve: a snapshot gives both, a plain /object_info dump only the first."""
    import json

    from comfyreel.compiler import snapshot_file
    from comfyreel.compiler.errors import ObjectInfoError
    from comfyreel.compiler.object_info import ObjectInfo

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ObjectInfoError(f"cannot read object_info: {exc.strerror or exc}", anchor=str(path)) from None
    if snapshot_file.is_snapshot(data):
        snap = snapshot_file.parse_snapshot(data, str(path))
        return snap["object_info"], snap.get("models") or {}
    ObjectInfo.from_bytes(data, source=str(path))  # shape check: a clear error, not a traceback
    return json.loads(data), None
