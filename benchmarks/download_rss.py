"""Peak RSS of the runner while it downloads a 1 GB output (streamed, never held in memory).

The fake ComfyUI runs as its own process (``comfyreel fake-server``) with a sparse 1 GiB file in
its output folder; a fresh child process imports the whole runner (``comfyreel.runner.session``),
records its RSS, then fetches the file through the runner's own ``outputs.download`` (GET /view,
chunked, hashed on the fly, renamed into ``RUN_DIR/outputs/``) and reports its peak RSS from
``resource.getrusage`` (no psutil). The downloaded copy is deleted afterwards.

    python benchmarks/download_rss.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAG = "[rss]"
TARGET_MB = 150

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import comfyreel.runner.session  # the whole runner stack, as `comfyreel run` loads it
from comfyreel.runner import http, outputs
url, run_dir = sys.argv[1], Path(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
server = http.Server(url)
ref = outputs.OutputRef(node_id="9", index=0, kind="videos", filename="big.mp4", subfolder="", type="output")
t0 = time.perf_counter()
done = outputs.download(server, ref, run_dir)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak, "size": done.size, "seconds": seconds}))
"""


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    from peers_submit import _get, start_fake

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="comfyreel-rss-") as tmp:
        work = Path(tmp)
        out = work / "fake-out"
        out.mkdir()
        with (out / "big.mp4").open("wb") as handle:  # sparse: no disk used on the server side
            handle.truncate(args.size_mib << 20)
        proc, url = start_fake(work)
        try:
            _get(url + "/system_stats")
            t0 = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-c", CHILD, url, str(work / "run")],
                capture_output=True,
                text=True,
                timeout=600,
            )
            wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        if child.returncode != 0:
            print(f"{TAG} download failed: {child.stderr.strip()[-500:]}")
            print(
                f"{TAG} runner peak RSS downloading {args.size_mib} MiB: not measured | target <= "
                f"{TARGET_MB} MB | SKIP"
            )
            return 1
        data = json.loads(child.stdout.strip().splitlines()[-1])
    peak_mib, before_mib = data["peak_kib"] / 1024, data["before_kib"] / 1024
    rate = data["size"] / (1 << 20) / data["seconds"]
    print(
        f"{TAG} downloaded {data['size'] / (1 << 20):.0f} MiB in {data['seconds']:.1f} s ({rate:.0f} MiB/s); "
        f"child process wall {wall:.1f} s"
    )
    print(
        f"{TAG} RSS after importing the runner {before_mib:.1f} MiB; peak during download {peak_mib:.1f} MiB "
        f"(+{peak_mib - before_mib:.1f} MiB)"
    )
    verdict = "PASS" if data["peak_kib"] * 1024 <= TARGET_MB * 1_000_000 else "MISS"
    print(
        f"{TAG} runner peak RSS downloading {args.size_mib} MiB: {peak_mib:.1f} MiB "
        f"| target <= {TARGET_MB} MB | {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
