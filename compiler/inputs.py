"""Input media of a compiled graph: which local files the runner must upload, under which names.

A recipe's media (``image``, ``keyframes[].image``, ``control.video``, ``audio.file``) are named
in the graph by content hash, ``comfyreel/<sha256[:16]>.<ext>``, so the same recipe and the same
bytes compile to the same graph on any machine. The compile result lists them as
``graph.meta["inputs"]``: a tuple of :class:`InputFile`, in the order the recipe names them, one
per distinct file (two fields naming the same bytes share one entry, the first field's).

The runner uploads each with ``POST /upload/image`` (``type=input``, ``subfolder=SUBFOLDER``,
``filename=InputFile.filename``) and, if the server returns another name, rewrites the graph's
``InputFile.name`` values to it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from comfyreel.compiler.values import Frozen

SUBFOLDER = "comfyreel"  # the input subfolder every compiled media file lives in
HASH_PREFIX = 16  # hex digits of the sha256 kept in the graph name

Kind = Literal["image", "video", "audio"]
KINDS: tuple[Kind, ...] = ("image", "video", "audio")


class InputFile(Frozen):
    """One input media file: local path, its name in the graph, sha256, kind, recipe field."""

    FIELDS = ("path", "name", "sha256", "kind", "field")

    path: Path  # the local file (absolute)
    name: str  # as written in the graph: "comfyreel/<sha256[:16]>.<ext>"
    sha256: str  # full hex digest of the bytes
    kind: Kind  # image | video | audio (decides LoadImage / LoadVideo / LoadAudio)
    field: str  # the recipe field that named it: "image", "keyframes[1].image", "control.video", ...

    def __init__(self, path: Path, name: str, sha256: str, kind: Kind, field: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        self._set(path=Path(path), name=name, sha256=sha256, kind=kind, field=field)

    @property
    def subfolder(self) -> str:
        """The upload subfolder (the part of :attr:`name` before the last ``/``)."""
        return self.name.rpartition("/")[0]

    @property
    def filename(self) -> str:
        """The upload file name (the part of :attr:`name` after the last ``/``)."""
        return self.name.rpartition("/")[2]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for manifests): path as text."""
        return {
            "path": str(self.path),
            "name": self.name,
            "sha256": self.sha256,
            "kind": self.kind,
            "field": self.field,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputFile:
        return cls(
            path=Path(data["path"]),
            name=str(data["name"]),
            sha256=str(data["sha256"]),
            kind=data["kind"],
            field=str(data["field"]),
        )


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of the file at *path*, read in chunks (memory bounded)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def graph_name(sha256: str, suffix: str) -> str:
    """``comfyreel/<sha256[:16]><suffix>`` (suffix lower-cased, e.g. ``.png``)."""
    return f"{SUBFOLDER}/{sha256[:HASH_PREFIX]}{suffix.lower()}"


def input_file(path: Path, kind: Kind, field: str) -> InputFile:
    """Hash *path* and name it for the graph."""
    path = Path(path).resolve()
    digest = sha256_file(path)
    return InputFile(path=path, name=graph_name(digest, path.suffix), sha256=digest, kind=kind, field=field)


def graph_inputs(meta: dict[str, Any]) -> tuple[InputFile, ...]:
    """The input files recorded in a compiled graph's ``meta`` (empty for text-only graphs)."""
    return tuple(meta.get("inputs", ()))
