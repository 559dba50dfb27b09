"""CLI commands about comfyreel itself: version (schema and list-rules join later)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to *app*."""

    @app.command()
    def version() -> None:
        """Print the comfyreel version."""
        from importlib.metadata import version as dist_version

        typer.echo(dist_version("comfyreel"))
