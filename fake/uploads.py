"""``POST /upload/image`` and the input folder, as ComfyUI's server.py ``image_upload`` does them.

One route for images, videos and audio (the frontend uploads every kind there). Multipart fields
``image`` (the file), ``type`` (``input`` when absent), ``subfolder``, ``overwrite``. The target is
``<type dir>/normpath(subfolder)/filename``; a path outside the type dir (``..``, an absolute
subfolder) is a 400, an empty file name a 400, a ``type`` ComfyUI does not know a 500 (its
``get_dir_by_type`` leaves the folder unbound). Without ``overwrite`` = ``true``/``1`` an existing
file with the same sha256 is a duplicate (kept, not written again); one with other bytes makes the
name ``stem (1).ext``, ``stem (2).ext``, ... The answer is ``{"name", "subfolder", "type"}``.
Bodies are streamed to disk in chunks: a large video never sits in memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import web

_SERVER_ERROR = "500 Internal Server Error\n\nServer got itself in trouble"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class UploadRecord:
    """One upload the fake received: the name asked for, the name answered, whether bytes were written."""

    filename: str
    subfolder: str
    type: str
    name: str  # as answered
    size: int
    written: bool  # False: a duplicate of a file already there


class UploadLog:
    """Thread-safe list of :class:`UploadRecord` (tests count uploads through it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[UploadRecord] = []

    def add(self, record: UploadRecord) -> None:
        with self.lock:
            self.records.append(record)

    def snapshot(self) -> list[UploadRecord]:
        with self.lock:
            return list(self.records)


def _sha256(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    while block := handle.read(_CHUNK):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return _sha256(handle)


def store_upload(post: Any, dirs: dict[str, Path], log: UploadLog) -> web.Response:
    """The body of ``image_upload(post)`` for an already parsed multipart *post*."""
    image = post.get("image")
    overwrite = post.get("overwrite")
    type_ = post.get("type") or "input"
    if type_ not in dirs:  # ComfyUI: UnboundLocalError in get_dir_by_type
        return web.Response(status=500, text=_SERVER_ERROR)
    upload_dir = str(dirs[type_])
    if not image:
        return web.Response(status=400)
    if not isinstance(image, web.FileField):  # a plain text field: `image.file` raises there
        return web.Response(status=500, text=_SERVER_ERROR)
    filename = image.filename
    if not filename:
        return web.Response(status=400)
    subfolder = str(post.get("subfolder", ""))
    folder = os.path.join(upload_dir, os.path.normpath(subfolder))
    filepath = os.path.abspath(os.path.join(folder, filename))
    if os.path.commonpath((upload_dir, filepath)) != upload_dir:
        return web.Response(status=400)
    os.makedirs(folder, exist_ok=True)
    stem, ext = os.path.splitext(filename)
    duplicate = False
    if overwrite not in ("true", "1"):
        ours = None
        i = 1
        while os.path.exists(filepath):
            ours = ours or _sha256(image.file)
            if _file_sha256(Path(filepath)) == ours:
                duplicate = True
                break
            filename = f"{stem} ({i}){ext}"
            filepath = os.path.join(folder, filename)
            i += 1
    image.file.seek(0, os.SEEK_END)
    size = image.file.tell()
    image.file.seek(0)
    if not duplicate:
        try:
            with open(filepath, "wb") as out:
                shutil.copyfileobj(image.file, out, _CHUNK)
        except OSError:  # e.g. a file name with a folder that does not exist
            return web.Response(status=500, text=_SERVER_ERROR)
    log.add(UploadRecord(image.filename, subfolder, type_, filename, size, written=not duplicate))
    return web.json_response({"name": filename, "subfolder": subfolder, "type": type_})


def input_listing(input_dir: Path, kinds: tuple[str, ...]) -> list[str]:
    """Top-level files of the input folder of the given content kinds, sorted, as ComfyUI lists them.

    ComfyUI fills the ``LoadImage`` / ``LoadVideo`` / ``LoadAudio`` combos from ``os.listdir`` of the
    input folder (files only, no subfolders), filtered by ``folder_paths.filter_files_content_types``.
    """
    import mimetypes

    if not input_dir.is_dir():
        return []
    names = []
    for entry in input_dir.iterdir():
        if not entry.is_file():
            continue
        mime = mimetypes.guess_type(entry.name)[0] or ""
        if mime.split("/")[0] in kinds:
            names.append(entry.name)
    return sorted(names)
