"""Submit-to-outputs overhead on the same server: comfyreel vs ``comfy run --wait`` vs ComfyScript.

overhead = a run's wall time minus the server's own execution time for that prompt (its
``execution_start`` -> ``execution_success`` timestamps in ``/history``). The graph is trivial
(EmptyImage 64x64 -> SaveImage, a new colour per run so nothing is served from cache). Servers:
the embedded fake (``comfyreel fake-server`` as its own process, 20 ms per node), and a real
ComfyUI when ``COMFYUI_URL`` is set. Called by ``peers.py --section submit``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TAG = "[peers]"
# Each fake node "runs" 20 ms. With 0 ms the prompt can finish before ComfyScript registers its
# task, and ComfyScript then waits forever (its completion race); overhead subtracts this anyway.
NODE_DELAY_S = 0.02


def trivial_graph(i: int) -> dict[str, Any]:
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": i}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "peers-bench"}},
    }


def _get(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # loopback or COMFYUI_URL only
        return json.load(resp)


def start_fake(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = str(Path(sys.executable).parent / "comfyreel")
    proc = subprocess.Popen(
        [
            exe,
            "fake-server",
            "--port",
            str(port),
            "--node-delay",
            str(NODE_DELAY_S),
            "--step-delay",
            "0",
            "--output-dir",
            str(work / "fake-out"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(url + "/system_stats", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("fake server did not start within 30 s")


def exec_times(url: str, count: int) -> list[float]:
    """Server-side execution seconds of the newest *count* prompts, oldest first."""
    history = _get(f"{url}/history?max_items={count}")
    times = []
    for entry in history.values():
        stamps = {
            m[0]: m[1].get("timestamp")
            for m in entry.get("status", {}).get("messages", [])
            if isinstance(m, list) and len(m) == 2 and isinstance(m[1], dict)
        }
        start, end = stamps.get("execution_start"), stamps.get("execution_success")
        times.append((end - start) / 1000 if start is not None and end is not None else float("nan"))
    return times


def overheads(walls: list[float], execs: list[float]) -> dict[str, float]:
    pairs = [w - e for w, e in zip(walls, execs[-len(walls) :], strict=False) if e == e]  # e == e: not NaN
    return {
        "wall_s": statistics.median(walls),
        "exec_s": statistics.median([e for e in execs if e == e] or [0]),
        "overhead_s": statistics.median(pairs) if pairs else float("nan"),
        "runs": len(walls),
    }


def bench_comfyreel_inprocess(url: str, work: Path, repeat: int, validate_online: bool) -> dict[str, float]:
    from comfyreel.compiler.graph import Graph
    from comfyreel.runner.session import RunOptions, run_graph

    options = RunOptions(validate_online=validate_online, timeout_s=120, silence_timeout_s=60)
    run_graph(Graph.from_data(trivial_graph(0)), server_url=url, out_dir=work / "warmup", options=options)
    walls = []
    for i in range(repeat):
        graph = Graph.from_data(trivial_graph(1 + i + (500 if validate_online else 0)))
        t0 = time.perf_counter()
        run_graph(graph, server_url=url, out_dir=work / "runs", options=options)
        walls.append(time.perf_counter() - t0)
    return overheads(walls, exec_times(url, repeat))


def bench_cli(
    argv_for: Any, url: str, work: Path, repeat: int, env: dict[str, str], base: int
) -> dict[str, float]:
    walls = []
    for i in range(repeat):
        path = work / f"cli-graph-{base + i}.json"
        path.write_text(json.dumps(trivial_graph(base + i)))
        t0 = time.perf_counter()
        proc = subprocess.run(
            argv_for(path), capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120
        )
        walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            return {"error": f"rc {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"}
    return overheads(walls, exec_times(url, repeat))


def bench_server(peers: Any, url: str, label: str, work: Path, repeat: int) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    rows["comfyreel in-process"] = bench_comfyreel_inprocess(url, work, repeat, validate_online=True)
    rows["comfyreel in-process, no online validate"] = bench_comfyreel_inprocess(url, work, repeat, False)
    exe = str(Path(sys.executable).parent / "comfyreel")
    rows["comfyreel CLI"] = bench_cli(
        lambda p: [exe, "run", str(p), "--server", url, "--out", str(work / "cli-runs")],
        url,
        work,
        repeat,
        {**os.environ, "NO_PROXY": "127.0.0.1"},
        2000,
    )
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    if peers and peers.available["comfy-cli"]:
        rows["comfy run --wait"] = bench_cli(
            lambda p: [
                peers.exe("comfy"),
                "--skip-prompt",
                "run",
                "--workflow",
                str(p),
                "--wait",
                "--host",
                host,
                "--port",
                port.rstrip("/"),
            ],
            url,
            work,
            repeat,
            peers.env,
            3000,
        )
    if peers and peers.available["comfy-script"]:
        proc = peers.run([peers.python, str(HERE / "_comfyscript_probe.py"), url, str(repeat)], timeout=300)
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            data = {"error": f"rc {proc.returncode}: {proc.stderr.strip()[-300:]}"}
        if data.get("runs"):
            rows["ComfyScript (warm runtime)"] = {
                **overheads([r["wall_s"] for r in data["runs"]], exec_times(url, len(data["runs"]))),
                "load_s": data.get("load_s", float("nan")),
            }
        else:
            rows["ComfyScript (warm runtime)"] = {"error": data.get("error", "no runs")}
    print(f"{TAG} submit-to-outputs on {label}, trivial graph, median of {repeat} runs")
    print(f"{TAG}   {'tool':<42}{'wall':>12}{'server exec':>13}{'overhead':>12}")
    for name, row in rows.items():
        if "error" in row:
            print(f"{TAG}   {name:<42} failed: {row['error']}")
        else:
            extra = f"  (runtime load {row['load_s'] * 1000:.0f} ms, once)" if "load_s" in row else ""
            print(
                f"{TAG}   {name:<42}{row['wall_s'] * 1000:>9.1f} ms{row['exec_s'] * 1000:>10.1f} ms"
                f"{row['overhead_s'] * 1000:>9.1f} ms{extra}"
            )
    return rows


def verdicts(rows: dict[str, dict[str, Any]], label: str) -> list[str]:
    from peers import target_line

    lines = []
    ours = rows.get("comfyreel in-process", {})
    if "overhead_s" in ours:
        lines.append(
            target_line(
                f"runner overhead in-process ({label})",
                f"{ours['overhead_s'] * 1000:.1f} ms",
                "<= 20 ms",
                ours["overhead_s"] <= 0.020,
            )
        )
    cli, peer = rows.get("comfyreel CLI", {}), rows.get("comfy run --wait", {})
    if "overhead_s" in cli and "overhead_s" in peer:
        lines.append(
            target_line(
                f"runner overhead CLI vs comfy run ({label})",
                f"comfyreel {cli['overhead_s'] * 1000:.1f} ms, comfy-cli {peer['overhead_s'] * 1000:.1f} ms, "
                f"ratio {cli['overhead_s'] / peer['overhead_s']:.2f}",
                "<= 0.5 of comfy-cli's",
                cli["overhead_s"] <= 0.5 * peer["overhead_s"],
            )
        )
    else:
        why = cli.get("error") or peer.get("error") or "comfy-cli not installed"
        lines.append(
            target_line(
                f"runner overhead CLI vs comfy run ({label})",
                "not measured",
                "<= 0.5 of comfy-cli's",
                None,
                why[:120],
            )
        )
    script = rows.get("ComfyScript (warm runtime)", {})
    if "overhead_s" in ours and "overhead_s" in script:
        print(
            f"{TAG} ratio in-process overhead comfyreel / ComfyScript ({label}): "
            f"{ours['overhead_s'] / script['overhead_s']:.2f} (no target)"
        )
    return lines


def bench_submit(peers: Any, work: Path, repeat: int) -> list[str]:
    repeat = max(3, min(repeat, 10))
    lines: list[str] = []
    fake_dir = Path(tempfile.mkdtemp(prefix="fake-", dir=work))
    proc, url = start_fake(fake_dir)
    try:
        lines += verdicts(bench_server(peers, url, "fake server", fake_dir, repeat), "fake")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    real = os.environ.get("COMFYUI_URL")
    if real:
        real_dir = Path(tempfile.mkdtemp(prefix="real-", dir=work))
        lines += verdicts(
            bench_server(peers, real.rstrip("/"), f"ComfyUI at {real}", real_dir, repeat), "real"
        )
    else:
        print(f"{TAG} COMFYUI_URL not set: real-ComfyUI overhead not measured")
    return lines
