"""comfyreel side by side with its peers, in one run, on the same inputs; prints measured vs target.

Sections (``--section validate|submit|all``):

- **validate**: the compiled API graphs of ``recipes/*.yaml`` and one object_info (the pinned
  snapshot with the graphs' model names added to its empty model lists, so a clean graph is clean
  for every tool) go through comfyreel, comfy-cli (``comfy workflow validate --input``, offline)
  and comfy-lint (``--schema-cache``). Timed in-process (warm: schema loaded, median per graph)
  and as whole processes (median wall time of the CLI). Then six seeded defects, one graph each,
  and a table of which tool catches which (an error, or only a warning, on the seeded node).
- **import**: see ``peers_import.py`` (UI -> API conversion of the official templates vs comfy-cli's).
- **submit**: see ``peers_submit.py`` (overhead = wall time minus the server's execution time).

Peers are never installed by this script. They are used when importable by ``--peers-python``
(default: ``$COMFYREEL_PEERS_PYTHON``, else this interpreter); see benchmarks/README.md. They run
with a throw-away HOME, tracking disabled and remote refresh off, so nothing leaves 127.0.0.1.
Every target line ends in PASS, MISS or SKIP (``run_all.py`` collects them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "_peer_probe.py"
TAG = "[peers]"


# -- output helpers ------------------------------------------------------------------------
def ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.2f} ms"


def target_line(name: str, measured: str, target: str, ok: bool | None, why: str = "") -> str:
    verdict = "SKIP" if ok is None else ("PASS" if ok else "MISS")
    extra = f" ({why})" if why else ""
    return f"{TAG} {name}: {measured} | target {target}{extra} | {verdict}"


# -- peers -------------------------------------------------------------------------------
class Peers:
    """Where the peers live and how to call them without touching the network."""

    def __init__(self, python: str, home: Path) -> None:
        self.python = python
        self.bin = Path(python).parent
        self.home = home
        self.env = {
            **os.environ,
            "HOME": str(home),
            "COMFY_CLI_NO_REMOTE_REFRESH": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        self.env.pop("COMFYUI_URL", None)
        self.available = {
            name: self._importable(mod)
            for name, mod in (
                ("comfy-cli", "comfy_cli"),
                ("comfy-lint", "comfy_lint"),
                ("comfy-script", "comfy_script"),
            )
        }
        if self.available["comfy-cli"]:
            self.run([self.exe("comfy"), "--skip-prompt", "tracking", "disable"])

    def _importable(self, module: str) -> bool:
        proc = subprocess.run([self.python, "-c", f"import {module}"], capture_output=True, env=self.env)
        return proc.returncode == 0

    def exe(self, name: str) -> str:
        candidate = self.bin / name
        return str(candidate) if candidate.exists() else (shutil.which(name) or name)

    def run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, capture_output=True, text=True, env=self.env, timeout=timeout, stdin=subprocess.DEVNULL
        )


def wall(argv: list[str], env: dict[str, str], repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Median wall time of *argv* as a fresh process, and the last result."""
    times, proc = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120
        )
        times.append(time.perf_counter() - t0)
    assert proc is not None
    return statistics.median(times), proc


def byte_compile_comfyreel() -> str:
    """Write comfyreel's ``__pycache__`` (what ``pip install`` does, and did for the peers).

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module
    from source on each run (~20 ms), which no real install pays.
    """
    dirs = [str(ROOT / name) for name in ("compiler", "runner", "checks", "cli", "fake")]
    proc = subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], capture_output=True, text=True)
    return "yes" if proc.returncode == 0 else f"no (compileall rc {proc.returncode})"


# -- inputs ------------------------------------------------------------------------------
def compiled_graphs(out_dir: Path) -> dict[str, Path]:
    """Every example recipe compiled to API JSON, written to *out_dir*."""
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe

    graphs = {}
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        graph = compile_recipe(load_recipe(recipe))
        path = out_dir / f"{recipe.stem}.json"
        path.write_text(graph.to_json())
        graphs[recipe.stem] = path
    return graphs


def object_info_with_models(graph_paths: list[Path], out: Path) -> Path:
    """The pinned snapshot plus the graphs' literal values in each combo list that is *empty* there."""
    from comfyreel.compiler.object_info import PINNED_RESOURCE

    raw = json.loads((ROOT / "compiler" / "data" / PINNED_RESOURCE).read_text())

    def empty_options(spec: Any) -> list | None:
        if isinstance(spec, list) and spec and isinstance(spec[0], list) and not spec[0]:
            return spec[0]
        if isinstance(spec, list) and len(spec) > 1 and spec[0] == "COMBO" and spec[1].get("options") == []:
            return spec[1]["options"]
        return None

    lists = {}
    for kind, node in raw.items():
        for group in node.get("input", {}).values():
            for name, spec in group.items():
                options = empty_options(spec)
                if options is not None:
                    lists[(kind, name)] = options
    for path in graph_paths:
        for node in json.loads(path.read_text()).values():
            for name, value in node.get("inputs", {}).items():
                options = lists.get((node["class_type"], name))
                if options is not None and isinstance(value, str) and value not in options:
                    options.append(value)
    out.write_text(json.dumps(raw))
    return out


# -- the validate section ------------------------------------------------------------------
def bench_validate(peers: Peers | None, work: Path, repeat: int) -> list[str]:
    from comfyreel.compiler.graph import Graph
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import validate_graph

    lines: list[str] = []
    graphs = compiled_graphs(work)
    oi_path = object_info_with_models(list(graphs.values()), work / "object_info.json")
    print(
        f"{TAG} validate: {len(graphs)} compiled graphs ({', '.join(graphs)}), object_info {oi_path.name} "
        f"(pinned 0.27.0 + the graphs' model names)"
    )

    # comfyreel in-process
    t0 = time.perf_counter()
    schema = ObjectInfo.from_file(oi_path)
    load_s = time.perf_counter() - t0
    loaded = [Graph.load(p) for p in graphs.values()]
    t0 = time.perf_counter()
    for g in loaded:
        validate_graph(g, schema)
    first_s = (time.perf_counter() - t0) / len(loaded)
    warm = []
    for _ in range(repeat):
        for g in loaded:
            t0 = time.perf_counter()
            validate_graph(g, schema)
            warm.append(time.perf_counter() - t0)
    ours = {"load_s": load_s, "first_s": first_s, "warm_median_s": statistics.median(warm)}
    theirs: dict[str, Any] = {}
    if peers and (peers.available["comfy-cli"] or peers.available["comfy-lint"]):
        proc = peers.run([peers.python, str(PROBE), str(oi_path), str(repeat), *map(str, graphs.values())])
        theirs = json.loads(proc.stdout) if proc.returncode == 0 else {}
    print(f"{TAG} in-process, per graph: schema load / first validate / warm median")
    print(f"{TAG}   comfyreel   {ms(ours['load_s'])} / {ms(ours['first_s'])} / {ms(ours['warm_median_s'])}")
    for name, row in theirs.items():
        if "missing" not in row:
            print(
                f"{TAG}   {name:<11} {ms(row['load_s'])} / {ms(row['first_s'])} / {ms(row['warm_median_s'])}"
            )
    warm_ours = ours["warm_median_s"]
    lines.append(
        target_line("validate warm in-process (absolute)", ms(warm_ours), "<= 20 ms", warm_ours <= 0.020)
    )
    cli_row = theirs.get("comfy-cli", {})
    if "warm_median_s" in cli_row:
        ratio = cli_row["warm_median_s"] / warm_ours
        lines.append(
            target_line(
                "validate warm in-process vs comfy-cli",
                f"comfyreel {ms(warm_ours)}, comfy-cli {ms(cli_row['warm_median_s'])}, {ratio:.2f}x faster",
                ">= 10x faster",
                ratio >= 10,
            )
        )
    else:
        lines.append(
            target_line("validate warm in-process vs comfy-cli", "comfy-cli not installed", ">= 10x", None)
        )
    lint_row = theirs.get("comfy-lint", {})
    if "warm_median_s" in lint_row:
        print(
            f"{TAG} ratio validate warm in-process vs comfy-lint: "
            f"{lint_row['warm_median_s'] / warm_ours:.2f}x faster (no target)"
        )

    # whole-process CLI wall time
    compiled = byte_compile_comfyreel()
    sample = next(iter(graphs.values()))
    cli_repeat = max(3, repeat // 4)
    comfyreel_bin = str(Path(sys.executable).parent / "comfyreel")
    ours_argv = [comfyreel_bin, "validate", str(sample), "--object-info", str(oi_path)]
    ours_wall, proc = wall(ours_argv, {**os.environ, "NO_PROXY": "127.0.0.1"}, cli_repeat)
    if proc.returncode not in (0, 1):
        print(f"{TAG} comfyreel validate CLI failed (rc {proc.returncode}): {proc.stderr.strip()[:300]}")
        ours_wall = None
    rows = [("comfyreel", ours_wall)]
    if peers and peers.available["comfy-cli"]:
        cli_wall, _ = wall(
            [
                peers.exe("comfy"),
                "--skip-prompt",
                "workflow",
                "validate",
                "--workflow",
                str(sample),
                "--input",
                str(oi_path),
            ],
            peers.env,
            cli_repeat,
        )
        rows.append(("comfy-cli", cli_wall))
    if peers and peers.available["comfy-lint"]:
        lint_wall, _ = wall(
            [peers.exe("comfy-lint"), "--schema-cache", str(oi_path), str(sample)], peers.env, cli_repeat
        )
        rows.append(("comfy-lint", lint_wall))
    bare, _ = wall([sys.executable, "-c", "pass"], dict(os.environ), cli_repeat)
    print(
        f"{TAG} whole-process CLI wall time, median of {cli_repeat} ({sample.name}); bare python {ms(bare)}"
        f"; comfyreel byte-compiled first: {compiled}"
    )
    for name, value in rows:
        print(f"{TAG}   {name:<11} {ms(value)}")
    cli_peer = dict(rows).get("comfy-cli")
    if ours_wall is not None and cli_peer:
        ratio = cli_peer / ours_wall
        lines.append(
            target_line(
                "validate CLI wall vs comfy-cli",
                f"comfyreel {ms(ours_wall)}, comfy-cli {ms(cli_peer)}, {ratio:.2f}x faster",
                ">= 10x faster",
                ratio >= 10,
            )
        )
    else:
        lines.append(
            target_line(
                "validate CLI wall vs comfy-cli",
                "not measured",
                ">= 10x faster",
                None,
                "comfy-cli or comfyreel validate CLI unavailable",
            )
        )

    from peers_catches import catch_table  # beside this file

    lines += catch_table(peers, graphs, oi_path, work)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=("validate", "import", "submit", "all"), default="all")
    parser.add_argument("--repeat", type=int, default=20, help="warm repetitions per graph (default 20)")
    parser.add_argument(
        "--peers-python",
        default=os.environ.get("COMFYREEL_PEERS_PYTHON", sys.executable),
        help="interpreter of the venv holding the peers (default: $COMFYREEL_PEERS_PYTHON)",
    )
    args = parser.parse_args(argv)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="comfyreel-peers-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        peers = Peers(args.peers_python, work / "home")
        have = [n for n, ok in peers.available.items() if ok]
        print(f"{TAG} peers from {args.peers_python}: {', '.join(have) or 'none installed'}")
        if args.section in ("validate", "all"):
            lines += bench_validate(peers, work, args.repeat)
        if args.section in ("import", "all"):
            from peers_import import bench_import  # beside this file

            lines += bench_import(peers, work)
        if args.section in ("submit", "all"):
            from peers_submit import bench_submit  # beside this file

            lines += bench_submit(peers, work, args.repeat)
    print()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
