"""Golden files: where they live, what ``golden.json`` records, and the explicit update.

Layout (plain files, meant for git)::

    goldens/<recipe-stem>/<node_id>-<index>.<ext>   one file per output of the run
    goldens/<recipe-stem>/golden.json               metadata below; no timestamps

``golden.json`` holds the schema version, the recipe / graph / object_info sha256 the goldens
came from, per output its sha256, kind, frames, fps, duration, size and audio, and optional
tolerances (only those that differ from the defaults). Writes are atomic (temp + rename).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comfyreel.checks.media import MediaInfo
from comfyreel.compiler.errors import InputError
from comfyreel.runner.manifest import Manifest, atomic_write_text, file_mode

GOLDEN_META = "golden.json"
GOLDEN_SCHEMA_VERSION = 1


def recipe_stem(manifest: Manifest) -> str:
    """Golden folder name: a variant's name (``NAME@seed=3``), the file stem, the name, the graph hash."""
    recipe = manifest.recipe
    if recipe is not None and recipe.variant and recipe.name:
        return recipe.name
    if recipe is not None and recipe.path:
        return Path(recipe.path.replace("\\", "/")).name.split(".")[0]
    if recipe is not None and recipe.name:
        return recipe.name
    return f"graph-{manifest.graph.sha256[:12]}"


def output_name(node_id: str, index: int, suffix: str) -> str:
    """``<node_id>-<index><suffix>``: stable names, never the server's counters."""
    return f"{node_id}-{index}{suffix.lower()}"


def media_entry(sha256: str, info: MediaInfo) -> dict[str, Any]:
    """What golden.json records about one output file."""
    entry: dict[str, Any] = {"sha256": sha256, "kind": info.kind}
    if info.video is not None:
        v = info.video
        entry.update(codec=v.codec, width=v.width, height=v.height)
        if info.kind == "video":
            entry.update(frames=v.frames, fps=v.fps, duration_s=v.duration_s)
    if info.kind != "image":
        a = info.audio
        entry["audio"] = (
            None
            if a is None
            else {
                "codec": a.codec,
                "sample_rate": a.sample_rate,
                "channels": a.channels,
                "duration_s": a.duration_s,
            }
        )
        if info.kind == "audio" and a is not None:
            entry["duration_s"] = a.duration_s
    return entry


@dataclass
class GoldenMeta:
    """The content of one golden.json."""

    recipe_sha256: str | None = None
    graph_sha256: str | None = None
    object_info_sha256: str | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tolerances: dict[str, Any] = field(default_factory=dict)
    schema_version: int = GOLDEN_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "recipe_sha256": self.recipe_sha256,
            "graph_sha256": self.graph_sha256,
            "object_info_sha256": self.object_info_sha256,
            "outputs": {k: self.outputs[k] for k in sorted(self.outputs)},
            "tolerances": dict(sorted(self.tolerances.items())),
        }

    @classmethod
    def load(cls, folder: Path) -> GoldenMeta | None:
        """Read ``folder/golden.json``; None when absent; InputError when it is broken."""
        path = folder / GOLDEN_META
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot read golden metadata: {exc}",
                anchor=str(path),
                hint="fix the file or re-create it with --update-golden",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("outputs", {}), dict):
            raise InputError("golden metadata must be an object with an 'outputs' mapping", anchor=str(path))
        version = data.get("schema_version")
        if version != GOLDEN_SCHEMA_VERSION:
            raise InputError(
                f"golden.json schema_version {version!r} is not {GOLDEN_SCHEMA_VERSION}",
                anchor=str(path),
                hint="re-create it with --update-golden",
            )
        tolerances = data.get("tolerances") or {}
        if not isinstance(tolerances, dict):
            raise InputError("golden.json 'tolerances' must be a mapping", anchor=str(path))
        return cls(
            recipe_sha256=data.get("recipe_sha256"),
            graph_sha256=data.get("graph_sha256"),
            object_info_sha256=data.get("object_info_sha256"),
            outputs=dict(data.get("outputs") or {}),
            tolerances=tolerances,
        )

    def write(self, folder: Path) -> Path:
        target = folder / GOLDEN_META
        atomic_write_text(target, json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n")
        return target


@dataclass
class GoldenChange:
    """One golden file touched by ``--update-golden``: what it was, what it is now."""

    name: str
    action: str  # "added" | "updated" | "unchanged" | "removed"
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None  # new output vs the old golden, when both existed

    def describe(self) -> str:
        parts = [f"{self.name}: {self.action}"]
        if self.old and self.new:
            for key in ("width", "height", "frames", "fps", "duration_s", "codec"):
                if self.old.get(key) != self.new.get(key):
                    parts.append(f"{key} {self.old.get(key)} → {self.new.get(key)}")
            if bool(self.old.get("audio")) != bool(self.new.get("audio")):
                had, has = ("yes" if d.get("audio") else "no" for d in (self.old, self.new))
                parts.append(f"audio {had} → {has}")
            if self.old.get("sha256") != self.new.get("sha256"):
                parts.append(
                    f"sha256 {str(self.old.get('sha256'))[:12]} → {str(self.new.get('sha256'))[:12]}"
                )
        if self.metrics and self.metrics.get("min_ssim") is not None:
            parts.append(
                f"vs old golden: ssim min {self.metrics['min_ssim']} mean {self.metrics['mean_ssim']}, "
                f"psnr min {self.metrics['min_psnr_db']} dB"
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "action": self.action,
            "old": self.old,
            "new": self.new,
            "metrics": self.metrics,
        }


def install_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically: a temp file beside ``dst``, then rename."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".part", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
