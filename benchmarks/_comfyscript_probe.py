"""Time ComfyScript's runtime on a trivial graph; run by ``peers_submit.py`` in the peers' interpreter.

Usage: ``python _comfyscript_probe.py URL REPEAT`` -> one JSON line on stdout:
``{"load_s": ..., "runs": [{"wall_s": ..., "prompt_id": ...}, ...]}`` or ``{"error": "..."}``.
``load()`` (reads /object_info and builds the node classes) is timed apart: a warm runtime pays
it once. Each run queues EmptyImage -> SaveImage (a new colour each time, so nothing is cached)
and waits until ComfyScript reports the results. ComfyScript is only called, never copied.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time


def main(argv: list[str]) -> None:
    url, repeat = argv[0], int(argv[1])
    out: dict = {"runs": []}
    try:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            from comfy_script import runtime

            runtime.load(url, save_script_source=False)
            from comfy_script.runtime import nodes
        out["load_s"] = time.perf_counter() - t0
        for i in range(repeat):
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                # keywords: ComfyScript takes positional order from /object_info's key order
                image = nodes.EmptyImage(width=64, height=64, batch_size=1, color=1000 + i)
                saved = nodes.SaveImage(images=image, filename_prefix="peers-comfyscript")
                saved.wait()
            out["runs"].append({"wall_s": time.perf_counter() - t0})
    except Exception as exc:  # report, never hang the benchmark
        out["error"] = f"{type(exc).__name__}: {exc}"
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    os._exit(0)  # ComfyScript keeps a watcher thread alive


if __name__ == "__main__":
    main(sys.argv[1:])
