"""Runner overhead on the fake ComfyUI: time from submit to outputs on disk, minus the server's own work.

For a trivial graph (EmptyImage -> SaveImage) the server's execution time comes from the
``execution_start`` -> ``execution_success`` timestamps; everything else (websocket, POST, polls,
/history, /view download, manifest) is the runner's overhead. "whole run_graph" also counts what
happens before the submit (/system_stats, websocket handshake, online validation, run folder); the
fake runs in this process, so its work and the runner's share one GIL. Prints medians over N runs, and the
overhead with the websocket dropped after 3 frames (recovery by polling) for comparison.

    python benchmarks/runner_overhead.py [--runs 15] [--server URL]   (URL: a real ComfyUI instead)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from comfyreel.compiler.graph import Graph
from comfyreel.fake.server import FakeComfyUI
from comfyreel.runner.session import RunOptions, run_graph


def graph(i: int) -> Graph:
    return Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": i},
            },
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": f"b{i}"}},
        },
        source="bench.json",
    )


def measure(
    fake: FakeComfyUI | None, url: str, out: Path, runs: int, options: RunOptions, drop: int | None
) -> list[tuple[float, float]]:
    rows = []
    for i in range(runs):
        if fake is not None:
            fake.faults.ws_drop_after = drop
        events: list[dict] = []
        t0 = time.perf_counter()
        result = run_graph(
            graph(1000 + i + (10000 if drop else 0)),
            server_url=url,
            out_dir=out,
            options=options,
            on_event=events.append,
        )
        wall = time.perf_counter() - t0
        submit = next(e["t"] for e in events if e["event"] == "submitted")
        done = next(e["t"] for e in events if e["event"] == "done")
        server_s = result.manifest.timings.execution_s or 0.0
        rows.append((done - submit, (done - submit) - server_s, wall - server_s))
        assert result.outputs and wall > 0
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--server", help="measure against this real ComfyUI instead of the fake")
    args = parser.parse_args(argv)
    options = RunOptions(validate_online=False, poll_s=2.0, fast_poll_s=0.1, bust_cache=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs"
        if args.server:
            measure(None, args.server, out, 2, options, None)
            results = {"websocket ok (real)": measure(None, args.server, out, args.runs, options, None)}
        else:
            with FakeComfyUI(Path(tmp) / "srv", node_delay_s=0.0) as fake:
                measure(fake, fake.url, out, 2, options, None)  # warm-up
                results = {
                    "websocket ok": measure(fake, fake.url, out, args.runs, options, None),
                    "websocket dropped": measure(fake, fake.url, out, max(3, args.runs // 3), options, 3),
                }
    for label, rows in results.items():
        total = statistics.median(r[0] for r in rows)
        overhead = statistics.median(r[1] for r in rows)
        whole = statistics.median(r[2] for r in rows)
        print(
            f"{label:18s} submit->outputs on disk {total * 1000:7.1f} ms  "
            f"runner overhead {overhead * 1000:7.1f} ms  whole run_graph minus server {whole * 1000:7.1f} ms"
            f"  (median of {len(rows)})"
        )
    if len(results) == 2:
        normal, dropped = results.values()
        ratio = statistics.median(r[1] for r in dropped) / max(statistics.median(r[1] for r in normal), 1e-9)
        print(f"overhead ratio dropped/ok: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
