"""Rules about combo (dropdown) values, both V1 ``[[...]]`` and V3 ``["COMBO", {"options"}]`` forms.

Model-file combos are special: the pinned snapshot was taken without models, so their option lists
are empty (or hold only built-ins like ``pixel_space``). Such values are checked against a
:class:`ModelInventory` when one is given, and otherwise reported as "unchecked offline".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from comfyreel.compiler.inputs import SUBFOLDER
from comfyreel.compiler.inventory import folder_for, looks_like_model_file
from comfyreel.compiler.object_info import InputSpec
from comfyreel.compiler.rules.context import Context, Hit, NodeView, closest, literal_type_ok

# input-media pickers whose files the runner uploads before submitting (compiler/inputs.py)
_UPLOADED = {("LoadImage", "image"), ("LoadVideo", "file"), ("LoadAudio", "audio")}
#: Flags of loader inputs (LoadImage, LoadVideo, LoadAudio) that ComfyUI validates by file existence
#: (``VALIDATE_INPUTS`` / ``validate_inputs`` skip the list check, execution.py ``validate_inputs``);
#: their list holds only top-level input files, never ``comfyreel/<sha256>.png`` in a subfolder.
UPLOAD_FLAGS = ("image_upload", "video_upload", "audio_upload")


def _unlisted(ctx: Context, view: NodeView, name: str, spec: InputSpec) -> bool:
    """True when the schema's list cannot be trusted to name the installed files."""
    value = view.inputs.get(name) if isinstance(view.inputs, dict) else None
    if (view.class_type, name) in _UPLOADED and isinstance(value, str) and value.startswith(SUBFOLDER + "/"):
        return True  # a compiled input file: uploaded by the runner, not yet in the server's list
    if any(spec.options.get(flag) for flag in UPLOAD_FLAGS):
        return True  # the server checks these files by existence, not by its list
    if not spec.choices:  # a live server listing no files for a model folder really has none
        return not (ctx.schema.live and folder_for(view.class_type, name) is not None)
    if ctx.schema.live or folder_for(view.class_type, name) is None:
        return False
    return not any(looks_like_model_file(c) for c in spec.choices)


def _combo_values(view: NodeView) -> Iterator[tuple[str, Any, InputSpec]]:
    for name, value, spec in view.literals():
        if spec.is_combo and literal_type_ok(spec, value):
            for item in value if isinstance(value, list) else [value]:
                yield name, item, spec


def combo_value(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A combo value that is not one of the listed options."""
    for name, value, spec in _combo_values(view):
        if value in spec.choices or _unlisted(ctx, view, name, spec):
            continue
        if not spec.choices:
            folders = folder_for(view.class_type, name) or ("",)
            yield Hit(
                view.id,
                name,
                f"{json.dumps(value)}: the server lists no models/{folders[0]} files",
                f"install {value} into the server's models/{folders[0]}/ folder",
            )
            continue
        options = [str(c) for c in spec.choices]
        near = closest(str(value), options)
        if near:
            fix = "closest options: " + ", ".join(json.dumps(n) for n in near)
        else:
            fix = (
                "options: "
                + ", ".join(json.dumps(c) for c in spec.choices[:8])
                + (", ..." if len(spec.choices) > 8 else "")
            )
        yield Hit(view.id, name, f"{json.dumps(value)} is not one of the {len(spec.choices)} options", fix)


def _model_checks(ctx: Context, view: NodeView) -> Iterator[tuple[str, Any, tuple[str, ...] | None, bool]]:
    """``(input, value, folders, checkable)`` for values in unlisted combos (not in the built-in list)."""
    for name, value, spec in _combo_values(view):
        if value in (spec.choices or ()) or not _unlisted(ctx, view, name, spec):
            continue
        folders = folder_for(view.class_type, name)
        checkable = ctx.inventory is not None and (folders is not None or "" in ctx.inventory.files)
        yield name, value, folders, checkable


def model_missing(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A model file that the model inventory (``--models DIR`` or the recipe's list) does not have."""
    if ctx.inventory is None:
        return
    for name, value, folders, checkable in _model_checks(ctx, view):
        if not checkable or ctx.inventory.contains(str(value), folders):
            continue
        near = _closest_files(str(value), ctx.inventory.names(folders))
        where = f"models/{folders[0]}/" if folders else "the models folder"
        fix = (
            ("closest files: " + ", ".join(json.dumps(n) for n in near))
            if near
            else f"download it into {where}, or fix the name"
        )
        yield Hit(view.id, name, f"model file {json.dumps(value)} is not in {ctx.inventory.source}", fix)


def _closest_files(name: str, known: list[str]) -> list[str]:
    """Match on names without extensions, so ".safetensors" does not make every file look close."""
    stems: dict[str, str] = {}
    for file in known:
        stems.setdefault(file.rsplit(".", 1)[0], file)
    return [stems[s] for s in closest(name.rsplit(".", 1)[0], list(stems))]


def model_unchecked(ctx: Context, view: NodeView) -> Iterator[Hit]:
    """A file name the offline schema cannot check (no inventory given, or not a model folder)."""
    for name, value, folders, checkable in _model_checks(ctx, view):
        if checkable:
            continue
        what = f"models/{folders[0]} files" if folders else "input files"
        fix = (
            "pass --models DIR (your ComfyUI models folder) or --server URL"
            if folders
            else "validate against your server with --server URL"
        )
        yield Hit(view.id, name, f"unchecked offline: {value} (the schema lists no {what})", fix)
