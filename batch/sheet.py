"""The batch contact sheet: one self-contained HTML page, a keyframe grid per recipe on its matrix axes.

The first varying key runs across, the second down (e.g. seed across, LoRA strength down); further keys
give one grid per combination. Each cell shows the variant's middle frame, links its run folder and
first output, and lists its parameters, server and status.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from comfyreel.batch.dispatch import Outcome
from comfyreel.runner.manifest import atomic_write_text

SHEET_NAME = "index.html"
THUMB_WIDTH = 192
_STYLE = """
body{font:14px system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ccc;padding:6px;vertical-align:top}
th{background:#eee}td.cell{width:CELLpx;background:#fff}img{display:block;width:THUMBpx}
.params{font:12px ui-monospace,monospace;white-space:pre-wrap;margin-top:4px}
td.cell a{word-break:break-all;font-size:12px}
.failed{background:#fdd!important}.skipped{background:#eef}.status{font-weight:bold}
""".replace("CELL", str(THUMB_WIDTH + 8)).replace("THUMB", str(THUMB_WIDTH))


def keyframe(path: Path) -> str | None:
    """The middle frame of a video (or an image output) as a JPEG data URI; None if unreadable."""
    from comfyreel.checks.html import data_uri
    from comfyreel.checks.media import analysis_size, iter_frames, probe
    from comfyreel.compiler.errors import ComfyreelError

    try:
        info = probe(path)
        video = info.video
        if video is None:
            return None
        size = analysis_size(video.width, video.height, THUMB_WIDTH)
        middle = max(0, (video.frames or 1) // 2)
        chosen = None
        for chosen_index, frame in enumerate(iter_frames(path, (8, 8), rgb_size=size)):
            chosen = frame.thumb
            if chosen_index >= middle:
                break
        return data_uri(chosen)
    except (ComfyreelError, OSError, ValueError):
        return None


def _label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _cell(outcome: Outcome, out: Path, axes: Sequence[str]) -> str:
    job = outcome.job
    link = quote(job.name) + "/"
    image = ""
    if outcome.outputs and outcome.status != "failed":
        first = out / job.name / outcome.outputs[0]
        uri = keyframe(first)
        link = quote(job.name) + "/" + quote(outcome.outputs[0])
        if uri:
            image = f'<a href="{link}"><img alt="{html.escape(job.name)}" src="{uri}"></a>'
    params = "\n".join(f"{k}={_label(v)}" for k, v in job.variant.items())
    error = (outcome.error or {}).get("message", "") if outcome.status == "failed" else ""
    return (
        f'<td class="cell {outcome.status}" data-name="{html.escape(job.name)}" '
        f'data-axes="{html.escape(json.dumps({k: job.variant.get(k) for k in axes}))}">{image}'
        f'<div><a href="{quote(job.name)}/manifest.json">{html.escape(job.name)}</a></div>'
        f'<div class="params">{html.escape(params)}</div>'
        f'<div><span class="status">{outcome.status}</span> {html.escape(outcome.server or "")}'
        f"{' - ' + html.escape(error) if error else ''}</div></td>"
    )


def _grid(outcomes: list[Outcome], out: Path) -> str:
    axes = list(outcomes[0].job.axes)
    across = axes[0] if axes else None
    down = axes[1] if len(axes) > 1 else None
    rest = axes[2:]

    def values(key: str | None) -> list[Any]:
        if key is None:
            return [None]
        seen: list[Any] = []
        for o in outcomes:
            if o.job.variant.get(key) not in seen:
                seen.append(o.job.variant.get(key))
        return seen

    by_key = {json.dumps([o.job.variant.get(k) for k in axes]): o for o in outcomes}
    parts = []
    for fixed in itertools.product(*(values(k) for k in rest)):
        if rest:
            title = ", ".join(f"{k}={_label(v)}" for k, v in zip(rest, fixed, strict=True))
            parts.append(f"<h3>{html.escape(title)}</h3>")
        head = f"<th>{html.escape(down or '')} \\ {html.escape(across or '')}</th>" if across else ""
        cols = "".join(f"<th>{html.escape(_label(v))}</th>" for v in values(across)) if across else ""
        rows = [f"<tr>{head}{cols}</tr>"] if across else []
        for row_value in values(down):
            cells = [f"<th>{html.escape(_label(row_value))}</th>"] if across else []
            for col_value in values(across):
                point = dict(zip(rest, fixed, strict=True))
                if across:
                    point[across] = col_value
                if down:
                    point[down] = row_value
                outcome = by_key.get(json.dumps([point.get(k) for k in axes]))
                cells.append(_cell(outcome, out, axes) if outcome else "<td></td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f'<table class="grid">{"".join(rows)}</table>')
    return "".join(parts)


def render_sheet(outcomes: Sequence[Outcome], out: Path, *, title: str = "comfyreel batch") -> str:
    """The contact sheet HTML for *outcomes* (run folders under *out*)."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.job.recipe, []).append(outcome)
    body = []
    for recipe, group in groups.items():
        axes = group[0].job.axes
        across = f" - {axes[0]} across" if axes else ""
        down = f", {axes[1]} down" if len(axes) > 1 else ""
        body.append(f"<h2>{html.escape(recipe)}{html.escape(across + down)}</h2>{_grid(group, out)}")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{''.join(body)}</body></html>\n"
    )


def write_sheet(outcomes: Sequence[Outcome], out: Path, *, title: str = "comfyreel batch") -> Path:
    path = Path(out) / SHEET_NAME
    atomic_write_text(path, render_sheet(outcomes, out, title=title))
    return path
