"""comfyreel.runner: everything that touches a ComfyUI server, its outputs, and the CLI."""
