"""How far apart are the harmless changes and the planted regressions, per metric? (issue 13)

Builds the cases of ``comfyreel.checks.plant`` (re-encodes at CRF 23/28/32, a Matroska
re-encode, ±2-level noise, a bit-identical copy, a 10-bit re-encode; and seed, LoRA/style,
colour cast with the same luma, frozen / still / faster motion, flicker, a dropped and a
duplicated frame, a 10-bit right half inverted, other and missing audio) at several sizes,
compares each with its golden under the default tolerances, and prints:

1. every case's metrics and the reasons it failed (a pass case must have none, a planted one
   at least one);
2. per metric: its default threshold, the closest pass (the worst value any harmless change
   reached), the closest fail among the regressions that metric is there to catch, and the
   margin on each side of the threshold.

    python benchmarks/metric_margins.py [--sizes 192x128 384x256 768x512] [--frames 25]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

# metric → (tolerance key, "min" | "max", the planted regressions it is meant to catch)
TARGETS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "min_ssim": ("min_ssim", "min", ("seed", "style", "frozen", "static", "speed", "ten_bit_half")),
    "mean_ssim": ("min_mean_ssim", "min", ("seed", "style", "static", "speed", "ten_bit_half")),
    "min_psnr_db": ("min_psnr_db", "min", ("seed", "style", "frozen", "static", "speed", "ten_bit_half")),
    "max_delta_e": ("max_delta_e", "max", ("seed", "style", "cast", "ten_bit_half")),
    "motion_diff": ("max_motion_diff", "max", ("frozen", "static", "speed")),
    "flicker": ("max_flicker", "max", ("flicker",)),
    "audio_spectrum_db": ("audio_spectrum_db", "max", ("audio_other",)),
}


def measure(sizes: list[tuple[int, int]], frames: int) -> list[tuple[str, str, dict, list[str]]]:
    from comfyreel.checks import plant
    from comfyreel.checks.compare import compare_files

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in sizes:
            cases = plant.build_cases(Path(tmp) / f"{w}x{h}", n=frames, width=w, height=h)
            for name, (actual, golden) in cases.items():
                c = compare_files(actual, golden)
                rows.append((f"{w}x{h}", name, c.metrics, [r.code for r in c.reasons]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["192x128", "384x256", "768x512"])
    parser.add_argument("--frames", type=int, default=25)
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes]

    from comfyreel.checks import plant
    from comfyreel.checks.tolerances import Tolerances

    tol = Tolerances()
    rows = measure(sizes, args.frames)  # type: ignore[arg-type]
    keys = list(TARGETS)
    print(f"{'size':8} {'case':14}" + "".join(f"{k[:12]:>13}" for k in keys) + "  verdict (reasons)")
    wrong = 0
    for size, name, m, reasons in rows:
        expected_pass = name in plant.PASS_CASES
        right = (not reasons) == expected_pass
        wrong += not right
        verdict = ("pass" if not reasons else "FAIL") + ("" if right else " ← WRONG")
        cells = "".join(f"{'-' if m[k] is None else m[k]:>13}" for k in keys)
        print(f"{size:8} {name:14}{cells}  {verdict} ({', '.join(reasons)})")

    print()
    print(
        f"{'metric':18} {'tolerance':>22} {'closest pass':>22} {'closest fail':>24} "
        f"{'pass headroom':>14} {'fail margin':>12}"
    )
    for metric, (key, kind, targets) in TARGETS.items():
        limit = getattr(tol, key)
        sign = 1 if kind == "min" else -1  # larger sign*value = better
        passes = [
            (m[metric], f"{n}@{s}") for s, n, m, _ in rows if n in plant.PASS_CASES and m[metric] is not None
        ]
        fails = [(m[metric], f"{n}@{s}") for s, n, m, _ in rows if n in targets and m[metric] is not None]
        if not passes or not fails:
            continue
        worst_pass = min(passes, key=lambda p: sign * p[0])
        best_fail = max(fails, key=lambda f: sign * f[0])
        print(
            f"{metric:18} {key + ' ' + ('≥' if kind == 'min' else '≤') + f' {limit:g}':>22} "
            f"{worst_pass[0]:>8g} {worst_pass[1]:>13} {best_fail[0]:>8g} {best_fail[1]:>15} "
            f"{sign * (worst_pass[0] - limit):>14.4g} {sign * (limit - best_fail[0]):>12.4g}"
        )
    print(f"\nverdicts: {len(rows) - wrong} of {len(rows)} right | {'PASS' if not wrong else 'MISS'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
