"""How close is `compare_files` to the cost of just decoding the two clips?

Makes a 121-frame 768×512 golden and a re-encode (CRF 28) with PyAV, then times, median of
N runs: (1) decoding both streams once (frames only, no conversion), (2) compare_files on the
pair (decode in lockstep + luma downscale + batched torch SSIM/PSNR), (3) the sha256 short-cut
on identical files. Prints the ratio compare / decode. Usage:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=121)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    args = parser.parse_args()

    import torch
    from comfyreel.checks import synth
    from comfyreel.checks.compare import compare_files
    from comfyreel.checks.metrics import pick_device

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        print(f"making {args.frames} frames {args.width}×{args.height} ...", flush=True)
        frames = synth.pattern_frames(args.frames, args.width, args.height, seed=7)
        golden = synth.write_video(d / "golden.mp4", frames, crf=18)
        actual = synth.write_video(d / "actual.mp4", frames, crf=28)
        copy = d / "copy.mp4"
        copy.write_bytes(golden.read_bytes())

        compare_files(actual, golden, device=args.device)  # warm-up (torch kernels, codec init)
        t_decode = median_time(lambda: (decode_only(actual), decode_only(golden)), args.runs)
        t_compare = median_time(lambda: compare_files(actual, golden, device=args.device), args.runs)
        t_same = median_time(lambda: compare_files(copy, golden, device=args.device), args.runs)
        result = compare_files(actual, golden, device=args.device)

    print(f"device: {pick_device(args.device)}  torch threads: {torch.get_num_threads()}  runs: {args.runs}")
    print("                                   wall        cpu")
    print(f"decode both streams:          {t_decode[0] * 1000:7.1f} ms {t_decode[1] * 1000:7.1f} ms")
    print(
        f"compare_files (re-encode):    {t_compare[0] * 1000:7.1f} ms {t_compare[1] * 1000:7.1f} ms"
        f"   ok={result.ok} min_ssim={result.metrics['min_ssim']}"
    )
    print(
        f"compare_files (identical):    {t_same[0] * 1000:7.1f} ms {t_same[1] * 1000:7.1f} ms"
        "   (sha256 short-cut, no decode)"
    )
    print(
        f"ratio compare / decode:       {t_compare[0] / t_decode[0]:7.2f}    "
        f"{t_compare[1] / t_decode[1]:7.2f}"
    )


if __name__ == "__main__":
    main()
