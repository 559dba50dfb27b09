"""comfyreel.compiler: recipes -> Jinja templates -> validated ComfyUI API graphs (pure, offline)."""
