"""Tolerances from measured noise: render a recipe N times, compare the re-renders, write golden.json.

``comfyreel calibrate RECIPE --server URL --renders N`` renders the recipe N times with the cache
busted (every node really runs), compares every pair of re-renders output by output, and takes,
for each metric limit, the worst value seen: the *noise floor* of that server and setup. The
threshold written to ``golden.json`` is that noise widened by the margin (default ×2: twice the
distance from a perfect match; for a dB similarity such as PSNR, twice the error power, i.e.
3 dB lower), but never stricter than the limit's default: the defaults are chosen from measured
benign variation (re-encodes at other CRFs, ±2-level pixel noise), so a perfectly repeatable
server (noise 0) gets exactly the documented defaults, and a noisy one gets limits that follow
its noise.

Which metrics are calibrated is read from the comparison itself, not listed here: every tolerance
key that bounds a metric of ``Comparison.metrics`` (``tolerances.METRIC_LIMITS`` where defined,
else by name: ``min_X``/``max_X`` bound the metric ``X`` or ``min_X``, a key equal to a metric
name is an upper bound unless it starts with ``min_``), so a new metric with a tolerance key is
calibrated without touching this module. A missing golden is recorded from the first render.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from comfyreel.checks import tolerances as tol_mod
from comfyreel.checks.compare import compare_files
from comfyreel.checks.golden import GoldenMeta, golden_name, inside, output_name
from comfyreel.checks.provenance import server_flags
from comfyreel.checks.tolerances import Tolerances

DEFAULT_MARGIN = 2.0
DEFAULT_RENDERS = 3
#: Reasons that are not a metric: re-renders that differ here are not noise but a broken setup.
STRUCTURAL = frozenset(
    {
        "kind",
        "size",
        "frame_count",
        "fps",
        "duration",
        "codec",
        "audio_missing",
        "audio_extra",
        "audio_duration",
        "audio_channels",
    }
)


@dataclass(frozen=True)
class Limit:
    """One tolerance key that bounds one metric: ``lower`` (metric ≥ limit) or ``upper`` (≤)."""

    key: str
    metric: str
    bound: str  # "lower" | "upper"

    @property
    def log_scale(self) -> bool:
        """dB similarities (PSNR): widen the error power, not the dB value."""
        return self.bound == "lower" and self.key.endswith("_db")


def metric_limits(metrics: dict[str, Any]) -> list[Limit]:
    """The numeric tolerance keys that bound one of *metrics* (see the module docstring)."""
    declared: dict[str, tuple[str, str]] = getattr(tol_mod, "METRIC_LIMITS", {})
    out: list[Limit] = []
    for f in fields(Tolerances):
        default = getattr(Tolerances(), f.name)
        if isinstance(default, bool) or not isinstance(default, float):
            continue
        key = f.name
        if key in declared:
            metric, kind = declared[key]
            bound = "lower" if kind == "min" else "upper"
        elif key in metrics:
            metric, bound = key, "lower" if key.startswith("min_") else "upper"
        elif key[:4] in ("min_", "max_") and key[4:] in metrics:
            metric, bound = key[4:], "lower" if key.startswith("min_") else "upper"
        else:
            continue
        if metric in metrics:
            out.append(Limit(key, metric, bound))
    return out


def widen(limit: Limit, perfect: float, worst: float, margin: float) -> float:
    """The threshold *margin* times as far from *perfect* as the *worst* re-render was."""
    if limit.log_scale:
        return worst - 10.0 * math.log10(margin)
    distance = abs(perfect - worst)
    return perfect - margin * distance if limit.bound == "lower" else perfect + margin * distance


@dataclass
class Calibrated:
    """What calibration found for one tolerance key, over every output and every pair of re-renders."""

    key: str
    metric: str
    bound: str
    default: float
    perfect: float | None = None
    noise: float | None = None  # the worst value between two re-renders (the noise floor)
    threshold: float | None = None
    source: str = "default"  # "noise": follows the measured noise; "default": the documented floor

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "metric": self.metric,
            "bound": self.bound,
            "noise": _r(self.noise),
            "perfect": _r(self.perfect),
            "threshold": _r(self.threshold),
            "default": self.default,
            "source": self.source,
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 5)


@dataclass
class Calibration:
    """The result of one ``calibrate``: per-key noise and thresholds, and where they were written."""

    name: str
    golden_dir: Path
    runs: list[Path]
    margin: float
    pairs: int = 0
    keys: dict[str, Calibrated] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recorded_golden: bool = False

    def tolerances(self) -> dict[str, float]:
        """The thresholds to write (rounded outward, so the measured noise itself always passes)."""
        out: dict[str, float] = {}
        for c in self.keys.values():
            if c.threshold is None:
                continue
            scale = 10**5
            t = c.threshold * scale
            out[c.key] = (math.floor(t) if c.bound == "lower" else math.ceil(t)) / scale
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": self.name,
            "golden_dir": str(self.golden_dir),
            "renders": len(self.runs),
            "pairs": self.pairs,
            "margin": self.margin,
            "runs": [str(r) for r in self.runs],
            "recorded_golden": self.recorded_golden,
            "limits": [c.to_dict() for c in self.keys.values()],
            "tolerances": self.tolerances(),
            "notes": list(self.notes),
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"calibrated {self.name}: {len(self.runs)} renders, {self.pairs} comparison(s), "
            f"margin ×{self.margin:g} → {self.golden_dir / 'golden.json'}"
        ]
        if self.recorded_golden:
            lines.append(f"  golden recorded from the first render ({self.runs[0]})")
        lines.append(f"  {'tolerance':<20} {'noise floor':>12} {'threshold':>12} {'default':>10}  from")
        for c in self.keys.values():
            noise = "–" if c.noise is None else f"{c.noise:.5g}"
            thr = "–" if c.threshold is None else f"{self.tolerances()[c.key]:.5g}"
            sign = "≥" if c.bound == "lower" else "≤"
            lines.append(
                f"  {c.key:<20} {noise:>12} {sign + ' ' + thr:>12} {c.default:>10g}  "
                + ("measured noise" if c.source == "noise" else "default (noise within it)")
            )
        lines += [f"  note: {n}" for n in self.notes]
        return lines


def measure(
    runs: list[Path], golden_dir: Path, tol: Tolerances, margin: float = DEFAULT_MARGIN
) -> Calibration:
    """Compare every pair of *runs* output by output; the thresholds that their noise calls for."""
    from comfyreel.runner.manifest import Manifest

    if margin < 1.0:
        from comfyreel.compiler.errors import UsageError

        raise UsageError(f"margin {margin:g} is below 1", anchor="--margin", hint="use 1 or more, e.g. 2")
    manifests = [Manifest.load(r) for r in runs]
    cal = Calibration(golden_name(manifests[0]), golden_dir, list(runs), margin)
    files: list[dict[str, Path]] = []
    for run, m in zip(runs, manifests, strict=True):
        files.append({output_name(o.node_id, o.index, Path(o.path).suffix): run / o.path for o in m.outputs})
    names = sorted(set.intersection(*(set(f) for f in files))) if files else []
    for name in sorted(set().union(*(set(f) for f in files)) - set(names)):
        cal.notes.append(f"{name}: not produced by every render (left out)")
    worst: dict[str, Calibrated] = {}
    for name in names:
        first = files[0][name]
        perfect = compare_files(first, first, tol).metrics
        for a, b in itertools.combinations(range(len(runs)), 2):
            cmp = compare_files(files[b][name], files[a][name], tol)
            cal.pairs += 1
            for r in cmp.reasons:
                if r.code in STRUCTURAL:
                    cal.notes.append(f"{name}: renders {a + 1} and {b + 1} differ: {r.message}")
            for lim in metric_limits(cmp.metrics):
                _fold(worst, lim, cmp.metrics.get(lim.metric), perfect.get(lim.metric))
    for key, c in worst.items():
        default = getattr(Tolerances(), key)
        if c.noise is not None and c.perfect is not None:
            lim = Limit(key, c.metric, c.bound)
            wide = widen(lim, c.perfect, c.noise, margin)
            looser = wide < default if c.bound == "lower" else wide > default
            c.threshold, c.source = (wide, "noise") if looser else (default, "default")
        else:
            c.threshold = default
        cal.keys[key] = c
        if c.source == "noise":
            cal.notes.append(
                f"{key}: the re-render noise needs {c.threshold:.4g}, looser than the default "
                f"{default:g}; regressions smaller than the noise cannot be told from it"
            )
    return cal


def _fold(worst: dict[str, Calibrated], lim: Limit, value: Any, perfect: Any) -> None:
    c = worst.setdefault(
        lim.key, Calibrated(lim.key, lim.metric, lim.bound, float(getattr(Tolerances(), lim.key)))
    )
    if isinstance(perfect, (int, float)) and c.perfect is None:
        c.perfect = float(perfect)
    if not isinstance(value, (int, float)) or math.isnan(value):
        return
    if c.noise is None or (value < c.noise if lim.bound == "lower" else value > c.noise):
        c.noise = float(value)


def write(cal: Calibration, meta: GoldenMeta, extra: dict[str, Any] | None = None) -> Path:
    """Put the thresholds and the measurement into ``golden.json`` (other hand-set keys stay)."""
    meta.tolerances = {**meta.tolerances, **cal.tolerances()}
    record = cal.to_dict()
    for key in ("golden_dir", "runs", "recorded_golden"):
        record.pop(key)
    meta.calibration = {**record, **(extra or {})}
    inside(cal.golden_dir.parent, cal.golden_dir.name)
    return meta.write(cal.golden_dir)


def calibrate_recipe(
    recipe: str | Path,
    *,
    server_url: str,
    golden_root: str | Path,
    out_dir: str | Path,
    renders: int = DEFAULT_RENDERS,
    margin: float = DEFAULT_MARGIN,
    options: Any = None,
    on_render: Any = None,
) -> Calibration:
    """Render *recipe* (or an API graph ``.json``) *renders* times, cache busted; write the tolerances."""
    from comfyreel.checks.check_run import check_run, foreign_claim, recipe_tolerances, resolve_tolerances
    from comfyreel.compiler.errors import UsageError
    from comfyreel.runner.manifest import Manifest
    from comfyreel.runner.session import RunOptions, run_graph, run_recipe

    if renders < 2:
        raise UsageError("calibration needs at least 2 renders", anchor="--renders", hint="e.g. --renders 3")
    options = options or RunOptions()
    options.bust_cache = True  # every node really runs: the noise of a render, not of a cache hit
    graph = None
    if Path(recipe).suffix.lower() == ".json":  # an API-format graph, as `comfyreel run` takes one
        from comfyreel.compiler.graph import Graph

        graph = Graph.load(Path(recipe))
    runs: list[Path] = []
    for i in range(renders):
        if graph is not None:
            result = run_graph(graph, server_url=server_url, out_dir=out_dir, options=options)
        else:
            result = run_recipe(recipe, server_url=server_url, out_dir=out_dir, options=options)
        runs.append(Path(result.run_dir))
        if on_render is not None:
            on_render(i + 1, renders, result.run_dir)
    golden_root = Path(golden_root)
    manifest = Manifest.load(runs[0])
    folder = golden_root / golden_name(manifest)
    meta = GoldenMeta.load(folder)
    claim = foreign_claim(manifest, meta, folder)
    if claim is not None:
        raise claim
    recorded = meta is None
    if recorded:
        check_run(runs[0], golden_root, update=True)
    meta = GoldenMeta.load(folder) or GoldenMeta()
    tol = resolve_tolerances(manifest, meta, None, folder)
    cal = measure(runs, folder, tol, margin)
    cal.recorded_golden = recorded
    server = manifest.server
    write(cal, meta, {"comfyui_version": server.comfyui_version, "server_flags": server_flags(manifest)})
    shadowed = sorted(set(recipe_tolerances(manifest)) & set(cal.tolerances()))
    if shadowed:
        cal.notes.append(
            "the recipe's check block sets " + ", ".join(shadowed) + ", which overrides golden.json"
        )
    return cal
