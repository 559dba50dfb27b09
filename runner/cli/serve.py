"""CLI command `comfyreel fake-server`: run the protocol-faithful fake ComfyUI until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to *app*."""

    @app.command("fake-server")
    def fake_server(
        host: Annotated[str, typer.Option(help="Interface to bind (keep it on loopback).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8188,
        output_dir: Annotated[
            Path | None, typer.Option("--output-dir", help="Where outputs go (default: a temp dir).")
        ] = None,
        node_delay: Annotated[float, typer.Option("--node-delay", help="Seconds each node 'runs'.")] = 0.05,
        step_delay: Annotated[float, typer.Option("--step-delay", help="Seconds per sampler step.")] = 0.02,
        version: Annotated[
            str, typer.Option("--version", help="Protocol version to mimic: 0.3.64 or 0.8.0.")
        ] = "0.3.64",
    ) -> None:
        """Serve a fake ComfyUI (HTTP + websocket) that renders deterministic videos."""
        import signal
        import threading

        from comfyreel.compiler.errors import UsageError
        from comfyreel.runner.fake import FakeComfyUI
        from comfyreel.runner.fake.core import VERSIONS

        if version not in VERSIONS:
            raise UsageError(f"unknown --version {version!r}", hint=f"use one of: {', '.join(VERSIONS)}")
        stop = threading.Event()

        def _on_signal(signum: int, frame: object) -> None:
            stop.set()

        if threading.current_thread() is threading.main_thread():
            # Set explicitly: a shell may start us with SIGINT ignored (background jobs).
            signal.signal(signal.SIGINT, _on_signal)
            signal.signal(signal.SIGTERM, _on_signal)
        fake = FakeComfyUI(
            output_dir,
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
        typer.echo(
            f"fake ComfyUI {version} serving at {fake.url} (outputs in {fake.output_dir}); Ctrl-C to stop",
            err=False,
        )
        try:
            while not stop.wait(0.5):
                pass
            typer.echo("stopping", err=True)
        finally:
            fake.stop()
