"""Golden files: where they live, what ``golden.json`` records, and the explicit update.

Layout (plain files, meant for git)::

    goldens/<recipe name>/<node_id>-<index>.<ext>   one file per output of the run
    goldens/<recipe name>/golden.json               metadata below; no timestamps

The folder is the recipe's name (its ``name:``, by default the whole file stem: ``clip.v1.yaml``
is ``clip.v1``); ``golden.json`` records which recipe file made it, so a second recipe claiming
the same name is refused instead of overwriting. File names are portable and unique whatever
node id the server gives (``58:43``, ``../x``): see :func:`output_name`.

``golden.json`` holds the schema version, the recipe / graph / object_info sha256 the goldens
came from, per output its sha256, kind, frames, fps, duration, size and audio, and optional
tolerances (only those that differ from the defaults). Writes are atomic (temp + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
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
_UNPORTABLE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_MAX_ID = 64


def portable_folder_name(name: str, *, where: str) -> str:
    """*name* when it is one folder name that Linux, macOS and Windows all accept; else InputError."""
    bad = (
        not name
        or name in (".", "..")
        or _UNPORTABLE.search(name) is not None
        or name != name.strip()
        or name.endswith(".")
        or name.split(".")[0].upper() in _RESERVED
        or len(name) > 120
    )
    if bad:
        raise InputError(
            f"recipe name {name!r} cannot name a golden folder (not a portable folder name)",
            anchor=where,
            hint="give the recipe a `name:` of letters, digits, '.', '_', '-', '@', '=' or ','",
        )
    return name


def golden_name(manifest: Manifest) -> str:
    """The golden folder of a run: the recipe's (or variant's, ``NAME@seed=3``) name, else graph-<sha>.

    A recipe's name defaults to its whole file stem (``clip.v1.yaml`` → ``clip.v1``).
    """
    recipe = manifest.recipe
    if recipe is not None and recipe.name:
        name = recipe.name
    elif recipe is not None and recipe.path:
        name = Path(recipe.path.replace("\\", "/")).stem
    else:
        return f"graph-{manifest.graph.sha256[:12]}"
    return portable_folder_name(name, where=f"recipe {recipe.path or name}")


def recipe_file(manifest: Manifest) -> str | None:
    """The recipe's file name (no folders: those differ between machines), or None for a graph."""
    path = manifest.recipe.path if manifest.recipe is not None else None
    return Path(path.replace("\\", "/")).name if path else None


def _escape_id(node_id: str) -> str:
    """Letters, digits and '-' kept; every other character becomes ``_xx`` per UTF-8 byte (reversible)."""
    return "".join(ch if ch in _ID_SAFE else "".join(f"_{b:02x}" for b in ch.encode()) for ch in node_id)


def output_name(node_id: str, index: int, suffix: str) -> str:
    """``<node_id>-<index><suffix>``, portable and unique for any node id the server gives.

    Plain ids stay as they are (``9-0.mp4``); other characters are escaped (``58:43`` →
    ``58_3a43``, ``58_43`` → ``58_5f43``, ``../x`` → ``_2e_2e_2fx``), so no name holds a path
    separator or a character Windows refuses, and two ids never share a name. Very long ids keep
    a prefix plus a hash of the whole id.
    """
    stem = _escape_id(str(node_id)) or "_"
    if len(stem) > _MAX_ID:
        stem = f"{stem[:48]}_{hashlib.sha256(str(node_id).encode()).hexdigest()[:12]}"
    ext = suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,10}", ext):
        ext = ""
    return f"{stem}-{int(index)}{ext}"


def is_plain_file_name(name: object) -> bool:
    """True for one file name inside a folder: no separator, no NUL, not '.', '..' or hidden."""
    return (
        isinstance(name, str)
        and bool(name)
        and not name.startswith(".")
        and not any(ch in name for ch in "/\\\x00")
    )


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing any name that would leave *folder* (InputError)."""
    if not is_plain_file_name(name):
        raise InputError(
            f"refusing golden file name {name!r}: it is not a plain file name inside {folder}",
            anchor=str(folder / GOLDEN_META),
            hint="remove the entry from golden.json (or the folder) and record the golden again",
        )
    return folder / name


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
    recipe_name: str | None = None  # the recipe's name (= this folder's name)
    recipe_file: str | None = None  # the recipe file it came from (file name only)
    provenance: dict[str, Any] = field(default_factory=dict)  # what made it (checks/provenance.py)
    calibration: dict[str, Any] = field(default_factory=dict)  # noise measured by `calibrate`

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "recipe_name": self.recipe_name,
            "recipe_file": self.recipe_file,
            "recipe_sha256": self.recipe_sha256,
            "graph_sha256": self.graph_sha256,
            "object_info_sha256": self.object_info_sha256,
            "outputs": {k: self.outputs[k] for k in sorted(self.outputs)},
            "tolerances": dict(sorted(self.tolerances.items())),
        }
        if self.provenance:
            out["provenance"] = self.provenance
        if self.calibration:
            out["calibration"] = self.calibration
        return out

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
        outputs = dict(data.get("outputs") or {})
        for name in outputs:
            inside(folder, name)  # a hand-edited "../x" must never be read, replaced or removed
        extra = {k: data.get(k) for k in ("provenance", "calibration")}
        return cls(
            recipe_sha256=data.get("recipe_sha256"),
            graph_sha256=data.get("graph_sha256"),
            object_info_sha256=data.get("object_info_sha256"),
            outputs=outputs,
            tolerances=tolerances,
            recipe_name=data.get("recipe_name"),
            recipe_file=data.get("recipe_file"),
            provenance=extra["provenance"] if isinstance(extra["provenance"], dict) else {},
            calibration=extra["calibration"] if isinstance(extra["calibration"], dict) else {},
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
