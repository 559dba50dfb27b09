"""One self-contained HTML report: per recipe, keyframes actual vs golden, a heatmap, metrics.

Every image is inlined as a base64 data URI (JPEG frames, PNG heatmap) and the per-frame
SSIM curve is inline SVG, so the file can be attached to a CI run and opened anywhere.
The page comes from ``report.html.j2`` (Jinja2, autoescaped).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from comfyreel.checks.check_run import RunCheck
from comfyreel.checks.media import encode_image
from comfyreel.runner.manifest import atomic_write_text

# Anchor colours of the heatmap (0 = same, 1 = completely different): dark blue → red → yellow → white.
_HEAT_ANCHORS = np.array(
    [[0.0, 10, 10, 40], [0.15, 60, 20, 120], [0.35, 200, 40, 60], [0.6, 250, 160, 20], [1.0, 255, 255, 230]],
    dtype=np.float32,
)


def heat_rgb(heat: np.ndarray) -> np.ndarray:
    """Map a (h, w) array in 0..1 to RGB uint8 with the anchor colours above (contrast-stretched ×2)."""
    v = np.clip(heat * 2.0, 0.0, 1.0)
    out = np.empty((*v.shape, 3), dtype=np.uint8)
    for ch in range(3):
        out[..., ch] = np.interp(v, _HEAT_ANCHORS[:, 0], _HEAT_ANCHORS[:, ch + 1]).astype(np.uint8)
    return out


def data_uri(rgb: np.ndarray | None, fmt: str = "jpeg") -> str | None:
    """``data:image/...;base64,...`` for an RGB array (None stays None)."""
    if rgb is None:
        return None
    mime = "image/jpeg" if fmt == "jpeg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(encode_image(rgb, fmt)).decode("ascii")


def _sparkline(
    values: list[float], threshold: float, width: int = 480, height: int = 60
) -> dict[str, Any] | None:
    if len(values) < 2:
        return None
    lo = min(min(values), threshold) - 0.02
    lo = max(-1.0, min(lo, 0.9))
    span = max(1.0 - lo, 1e-6)

    def y(v: float) -> float:
        return round(height - (v - lo) / span * height, 2)

    step = width / (len(values) - 1)
    points = " ".join(f"{round(i * step, 2)},{y(v)}" for i, v in enumerate(values))
    return {
        "points": points,
        "width": width,
        "height": height,
        "threshold_y": y(threshold),
        "lo": round(lo, 3),
    }


def _info_rows(cmp: Any) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    a, g = cmp.actual_info, cmp.golden_info

    def fmt(info: Any, key: str) -> str:
        if info is None:
            return "–"
        v, au = info.video, info.audio
        if key == "size":
            return f"{v.width}×{v.height}" if v else "–"
        if key in ("frames", "fps", "codec"):
            return str(getattr(v, key)) if v else "–"
        if key == "duration":
            return f"{info.duration_s:.3f} s"
        if key == "audio":
            return f"{au.codec} {au.sample_rate} Hz ×{au.channels}, {au.duration_s:.2f} s" if au else "none"
        return "–"

    for key in ("size", "frames", "fps", "duration", "codec", "audio"):
        rows.append((key, fmt(a, key), fmt(g, key)))
    return rows


def _output_view(out: Any) -> dict[str, Any]:
    cmp = out.comparison
    view: dict[str, Any] = {
        "name": out.name,
        "status": out.status,
        "ok": out.ok,
        "message": out.message,
        "actual": out.actual,
        "golden": out.golden,
        "cmp": None,
    }
    if cmp is None:
        return view
    img = cmp.images
    strip = []
    if img is not None:
        strip = [
            {"index": i, "golden": data_uri(g), "actual": data_uri(a)}
            for i, a, g in zip(img.keyframes, img.actual, img.golden, strict=True)
        ]
    worst = None
    if img is not None and img.worst_index is not None:
        worst = {
            "index": img.worst_index,
            "golden": data_uri(img.worst_golden),
            "actual": data_uri(img.worst_actual),
            "heat": data_uri(heat_rgb(img.heat), "png") if img.heat is not None else None,
        }
    view["cmp"] = {
        "identical": cmp.identical,
        "reasons": [r.message for r in cmp.reasons],
        "notes": cmp.notes,
        "metrics": {k: v for k, v in cmp.metrics.items() if v is not None},
        "worst": [w.to_dict() for w in cmp.worst],
        "rows": _info_rows(cmp),
        "strip": strip,
        "worst_frame": worst,
        "spark": _sparkline(cmp.ssim, cmp.tolerances.min_ssim),
        "tolerances": cmp.tolerances.to_dict(),
    }
    return view


def _recipe_view(rc: RunCheck) -> dict[str, Any]:
    m = rc.manifest
    nodes = sorted(m.timings.nodes, key=lambda n: n.start_s)
    longest = max((n.duration_s for n in nodes), default=0.0) or 1.0
    return {
        "stem": rc.stem,
        "ok": rc.ok,
        "updated": rc.updated,
        "run_dir": str(rc.run_dir),
        "golden_dir": str(rc.golden_dir),
        "problems": [p.message for p in rc.problems],
        "notes": rc.notes,
        "changed": rc.changed,
        "warnings": rc.warnings,
        "calibration": rc.calibration_rows(),
        "calibration_renders": rc.calibration.get("renders"),
        "changes": [c.describe() for c in rc.changes],
        "update_command": rc.update_command()
        if any(o.status == "missing_golden" for o in rc.outputs)
        else None,
        "outputs": [_output_view(o) for o in rc.outputs],
        "timings": {
            "queued_s": m.timings.queued_s,
            "execution_s": m.timings.execution_s,
            "total_s": m.timings.total_s,
        },
        "nodes": [
            {
                "id": n.node_id,
                "class_type": n.class_type or "",
                "phase": n.phase,
                "seconds": round(n.duration_s, 3),
                "cached": n.cached,
                "pct": round(100 * n.duration_s / longest, 1),
            }
            for n in nodes
        ],
        "seeds": m.seeds,
        "server": m.server.model_dump(mode="json"),
        "manifest_json": json.dumps(m.model_dump(mode="json", exclude={"recipe": {"text"}}), indent=2),
    }


def render_html(checks: Sequence[RunCheck], *, title: str = "comfyreel check") -> str:
    """The report as one HTML string."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    recipes = [_recipe_view(rc) for rc in checks]
    summary = {"total": len(recipes), "failed": sum(not r["ok"] for r in recipes)}
    return env.get_template("report.html.j2").render(title=title, recipes=recipes, summary=summary)


def write_html(checks: Sequence[RunCheck], path: str | Path, *, title: str = "comfyreel check") -> Path:
    """Write the self-contained HTML report to ``path`` (atomically)."""
    path = Path(path)
    atomic_write_text(path, render_html(checks, title=title))
    return path
