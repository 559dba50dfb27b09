"""Run every benchmark script in ``benchmarks/`` in one go and print their verdicts together.

A benchmark script is a ``*.py`` here with an ``if __name__ == "__main__":`` block (modules that
only help others, and ``_*.py`` probes, are skipped). Each runs as its own process with this
interpreter, one after the other (timings on a 2-core machine suffer from overlap), with a time
limit. Their full output is shown as it comes; at the end every line that states a verdict (ends
in PASS, MISS or SKIP) or a ratio is repeated in one summary. Nothing is installed here: the peer
comparisons use the peers found through ``$COMFYREEL_PEERS_PYTHON`` (see README.md).

    python benchmarks/run_all.py [--only NAME ...] [--skip NAME ...] [--timeout 900]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICT = re.compile(r"\|\s*(PASS|MISS|SKIP)\s*$")
RATIO = re.compile(r"\bratio\b", re.IGNORECASE)


def scripts() -> list[Path]:
    found = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_") or path.name == Path(__file__).name:
            continue
        if '__name__ == "__main__"' in path.read_text(encoding="utf-8"):
            found.append(path)
    return found


def run_one(path: Path, timeout: float) -> tuple[int | None, list[str], float]:
    """Run *path*, echo its output live, return (exit code or None on timeout, lines, seconds)."""
    lines: list[str] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=HERE.parent,
    )
    assert proc.stdout is not None
    deadline = t0 + timeout
    try:
        for line in proc.stdout:
            sys.stdout.write(f"  {line}")
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
            if time.perf_counter() > deadline:
                raise subprocess.TimeoutExpired(proc.args, timeout)
        code: int | None = proc.wait(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    return code, lines, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[], help="script names (without .py) to run")
    parser.add_argument("--skip", nargs="*", default=[], help="script names (without .py) to skip")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per script (default 900)")
    args = parser.parse_args(argv)
    chosen = [p for p in scripts() if (not args.only or p.stem in args.only) and p.stem not in args.skip]
    summary: list[str] = []
    failed = 0
    for path in chosen:
        print(f"=== {path.name}", flush=True)
        code, lines, seconds = run_one(path, args.timeout)
        status = "timed out" if code is None else f"exit {code}"
        print(f"=== {path.name}: {status} after {seconds:.1f} s\n", flush=True)
        failed += code != 0
        picked = [line.strip() for line in lines if VERDICT.search(line) or RATIO.search(line)]
        summary.append(f"{path.stem} ({status})")
        summary += [f"  {line}" for line in picked] or ["  (no verdict or ratio lines printed)"]
    print("=== summary (measured in this run)")
    print("\n".join(summary))
    verdicts = [VERDICT.search(s).group(1) for s in summary if VERDICT.search(s)]  # type: ignore[union-attr]
    print(
        f"=== {verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, {verdicts.count('SKIP')} SKIP; "
        f"{failed} script(s) failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
