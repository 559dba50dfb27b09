"""How close is `compare_files` to the cost of just decoding the two clips? (issue 13: ≤ 1.5×)

Makes a 121-frame 768×512 golden and a re-encode (CRF 28) with PyAV, then times, median of
N runs: (1) decoding both streams once (frames only, no conversion, each with FFmpeg's own
threads, one after the other), (2) compare_files on the pair — every metric: luma SSIM/PSNR,
colour ΔE, motion and flicker — once per metrics path: numpy (the default), and torch on the
CPU and on CUDA where torch is installed, (3) the sha256 short-cut on identical files. Prints
wall-clock and process-CPU times and the ratio compare / decode for each path. Usage:

    python benchmarks/compare_vs_decode.py [--frames 121] [--width 768] [--height 512] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def decode_only(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def median_time(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and median process CPU time (less sensitive to a busy shared machine)."""
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def devices() -> list[str]:
    """numpy always; torch's cpu (and cuda) when torch is installed."""
    out = ["numpy"]
    try:
        import torch
    except ImportError:
        return out
    out.append("cpu")
    if torch.cuda.is_available():
        out.append("cuda")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=121)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from comfyreel.checks import synth
    from comfyreel.checks.compare import compare_files

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        print(f"making {args.frames} frames {args.width}×{args.height} ...", flush=True)
        frames = synth.pattern_frames(args.frames, args.width, args.height, seed=7)
        golden = synth.write_video(d / "golden.mp4", frames, crf=18)
        actual = synth.write_video(d / "actual.mp4", frames, crf=28)
        copy = d / "copy.mp4"
        copy.write_bytes(golden.read_bytes())

        for dev in devices():
            compare_files(actual, golden, device=dev)  # warm-up (imports, codec init, kernels)
        t_decode = median_time(lambda: (decode_only(actual), decode_only(golden)), args.runs)
        t_same = median_time(lambda: compare_files(copy, golden), args.runs)
        rows = []
        for dev in devices():
            t = median_time(lambda dev=dev: compare_files(actual, golden, device=dev), args.runs)
            rows.append((dev, t, compare_files(actual, golden, device=dev)))

    print(f"{args.frames} frames {args.width}×{args.height}, median of {args.runs} runs")
    print("                                     wall        cpu")
    print(f"decode both streams:            {t_decode[0] * 1000:7.1f} ms {t_decode[1] * 1000:7.1f} ms")
    for dev, t, result in rows:
        m = result.metrics
        print(
            f"compare_files, {dev:6} path:    {t[0] * 1000:7.1f} ms {t[1] * 1000:7.1f} ms"
            f"   ok={result.ok} min_ssim={m['min_ssim']} max_ΔE={m['max_delta_e']}"
        )
    print(
        f"compare_files (identical):      {t_same[0] * 1000:7.1f} ms {t_same[1] * 1000:7.1f} ms"
        "   (sha256 short-cut, no decode)"
    )
    for dev, t, _ in rows:
        print(
            f"ratio compare / decode, {dev:6}: {t[0] / t_decode[0]:7.2f}    {t[1] / t_decode[1]:7.2f}"
            f"   (target ≤ 1.5: {'PASS' if t[0] / t_decode[0] <= 1.5 else 'MISS'} on wall time)"
        )


if __name__ == "__main__":
    main()
