"""Batch dispatch: 200 jobs over 4 fake ComfyUI servers (fixed per-node delay), local engine vs Ray.

Each fake runs as its own process (`comfyreel fake-server`), so this process's CPU time is the
dispatcher's (and, for the local engine, its runner threads'). Figures per engine:

- makespan: wall time from the dispatcher's start to the last job's end;
- ideal: the servers' own busy time (execution_start -> execution_success, read back from each
  fake's /history) summed over all jobs, divided by the number of servers;
- efficiency = ideal / makespan (target >= 0.9);
- scheduler CPU per job: CPU time of the thread that places jobs (target <= 10 ms); the whole
  process's CPU per job is printed too (for the local engine it includes every render's HTTP,
  websocket, download and manifest work; for Ray those run in Ray workers).

    python benchmarks/batch_dispatch.py [--jobs 200] [--servers 4] [--node-delay 0.02] [--no-ray]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

RECIPE = """\
name: bench
model: ltxv-t2v
prompt: a red fox
frames: 9
fps: 24
width: 256
height: 256
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_fakes(count: int, node_delay: float, folder: Path) -> tuple[list[subprocess.Popen], list[str]]:
    procs, urls = [], []
    for index in range(count):
        port = free_port()
        cmd = [
            sys.executable,
            "-c",
            "from comfyreel.cli import run; run()",
            "fake-server",
            "--port",
            str(port),
        ]
        cmd += [
            "--node-delay",
            str(node_delay),
            "--step-delay",
            "0",
            "--output-dir",
            str(folder / f"f{index}"),
        ]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    for url in urls:
        while True:
            try:
                requests.get(url + "/system_stats", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise SystemExit(f"fake at {url} did not start") from None
                time.sleep(0.2)
    return procs, urls


def server_seconds(urls: list[str], prompt_ids: set[str]) -> float:
    """Sum of execution_start -> execution_success over the given prompts, from every /history."""
    total = 0.0
    for url in urls:
        history = requests.get(url + "/history", params={"max_items": 100000}, timeout=30).json()
        for pid, entry in history.items():
            if pid not in prompt_ids:
                continue
            stamps = {kind: data.get("timestamp") for kind, data in entry["status"]["messages"]}
            if stamps.get("execution_start") and stamps.get("execution_success"):
                total += (stamps["execution_success"] - stamps["execution_start"]) / 1000
    return total


def measure(engine: str, urls: list[str], jobs_n: int, first_seed: int, out: Path) -> dict[str, float]:
    from comfyreel.batch.dispatch import BatchOptions, Dispatcher
    from comfyreel.batch.fleet import ServerState
    from comfyreel.batch.jobs import make_jobs

    recipe = out.parent / "bench.yaml"
    recipe.write_text(RECIPE)
    jobs = make_jobs([recipe], [f"seed={first_seed}..{first_seed + jobs_n - 1}"])
    options = BatchOptions(per_server=2)
    states = [ServerState(url) for url in urls]
    if engine == "ray":
        import ray
        from comfyreel.batch.ray_engine import RayDispatcher, local_cluster

        t = time.perf_counter()
        ray.init(**local_cluster(urls, options.per_server))
        print(f"  ray.init: {time.perf_counter() - t:.1f} s (not counted in the makespan)")
        dispatcher: Dispatcher = RayDispatcher(jobs, states, out, options)
    else:
        dispatcher = Dispatcher(jobs, states, out, options)
    cpu0, thread0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
    outcomes = dispatcher.run()
    makespan = time.perf_counter() - t0
    thread_cpu, cpu = time.thread_time() - thread0, time.process_time() - cpu0
    if engine == "ray":
        import ray

        ray.shutdown()
    failed = [o for o in outcomes if o.status != "success"]
    if failed:
        raise SystemExit(f"{engine}: {len(failed)} jobs failed, e.g. {failed[0].error}")
    busy = server_seconds(urls, {j.prompt_id for j in jobs})
    ideal = busy / len(urls)
    return {
        "makespan": makespan,
        "ideal": ideal,
        "efficiency": ideal / makespan,
        "sched_ms": thread_cpu / jobs_n * 1000,
        "proc_ms": cpu / jobs_n * 1000,
        "job_s": sum(o.seconds for o in outcomes) / len(outcomes),
        "busy_s": busy / jobs_n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--node-delay", type=float, default=0.02)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--ray-only", action="store_true")
    args = parser.parse_args()
    engines = ["local"] if not args.ray_only else []
    if not args.no_ray:
        try:
            import ray  # noqa: F401

            engines.append("ray")
        except ImportError:
            print("ray: not installed (pip install 'comfyreel[ray]') | SKIP")
    with tempfile.TemporaryDirectory(prefix="comfyreel-batch-bench-") as tmp:
        folder = Path(tmp)
        procs, urls = start_fakes(args.servers, args.node_delay, folder)
        try:
            results = {}
            for index, engine in enumerate(engines):
                out = folder / f"out-{engine}"
                print(f"{engine}: {args.jobs} jobs over {args.servers} fake servers ...", flush=True)
                results[engine] = measure(engine, urls, args.jobs, 1 + index * args.jobs, out)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    print(f"\n{args.jobs} jobs, {args.servers} servers, node delay {args.node_delay} s")
    print(
        "engine | makespan s | ideal s | efficiency ratio | scheduler CPU ms/job | process CPU ms/job"
        " | job wall s (driver) | server busy s/job"
    )
    for engine, r in results.items():
        print(
            f"{engine} | {r['makespan']:.2f} | {r['ideal']:.2f} | {r['efficiency']:.3f} | "
            f"{r['sched_ms']:.2f} | {r['proc_ms']:.2f} | {r['job_s']:.2f} | {r['busy_s']:.2f}"
        )
    for engine, r in results.items():
        verdict = "PASS" if r["efficiency"] >= 0.9 else "MISS"
        print(f"{engine}: efficiency ratio {r['efficiency']:.3f} | target >= 0.9 | {verdict}")
        verdict = "PASS" if r["sched_ms"] <= 10 else "MISS"
        print(f"{engine}: scheduler CPU {r['sched_ms']:.2f} ms/job | target <= 10 ms | {verdict}")


if __name__ == "__main__":
    main()
