"""CLI commands about comfyreel itself: version (schema and list-rules join later)."""

from __future__ import annotations

import sys

from comfyreel.cli import Commands, add_command


def register(commands: Commands) -> None:
    """Add this module's commands."""
    add_command(commands, "version", version)


def version() -> None:
    """Print the comfyreel version."""
    from importlib.metadata import version as dist_version

    sys.stdout.write(dist_version("comfyreel") + "\n")
