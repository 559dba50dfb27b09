"""`ModelInventory`: which model files a ComfyUI install has, to check loader combos offline.

The pinned ``/object_info`` snapshot was taken without models, so its loader combos (``ckpt_name``,
``clip_name``, ...) list no files. An inventory fills that gap: walk a ComfyUI ``models/`` folder
(``--models DIR``) or take the names a recipe declares. ``folder_for`` maps a loader input to the
``models/`` sub-folders ComfyUI searches for it (legacy folder names included).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from comfyreel.compiler.errors import InputError
from comfyreel.compiler.values import Frozen

# models/<folder> names ComfyUI also accepts under a legacy name.
_ALIASES: dict[str, tuple[str, ...]] = {
    "text_encoders": ("text_encoders", "clip"),
    "diffusion_models": ("diffusion_models", "unet"),
    "controlnet": ("controlnet", "t2i_adapter"),
}

# Loader input name -> models/ folder. Class-specific entries win over input-name entries.
_BY_INPUT: dict[str, str] = {
    "ckpt_name": "checkpoints",
    "config_name": "configs",
    "clip_name": "text_encoders",
    "clip_name1": "text_encoders",
    "clip_name2": "text_encoders",
    "clip_name3": "text_encoders",
    "clip_name4": "text_encoders",
    "text_encoder": "text_encoders",
    "vae_name": "vae",
    "lora_name": "loras",
    "unet_name": "diffusion_models",
    "control_net_name": "controlnet",
    "style_model_name": "style_models",
    "gligen_name": "gligen",
    "hypernetwork_name": "hypernetworks",
    "photomaker_model_name": "photomaker",
    "audio_encoder_name": "audio_encoders",
    "model_path": "diffusers",
}
_BY_CLASS: dict[tuple[str, str], str] = {
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("LTXAVTextEncoderLoader", "ckpt_name"): "checkpoints",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("LatentUpscaleModelLoader", "model_name"): "latent_upscale_models",
    ("ModelPatchLoader", "name"): "model_patches",
    ("FrameInterpolationModelLoader", "model_name"): "frame_interpolation",
    ("LoadBackgroundRemovalModel", "bg_removal_name"): "background_removal",
    ("OpticalFlowLoader", "model_name"): "optical_flow",
}
# Extensions ComfyUI lists for model folders (a combo list without any is "no models listed").
MODEL_EXTENSIONS = (".safetensors", ".sft", ".ckpt", ".pt", ".pt2", ".pth", ".bin", ".pkl", ".gguf", ".onnx")


def folder_for(class_type: str, input_name: str) -> tuple[str, ...] | None:
    """The ``models/`` folders a loader input reads from, or None for a non-model combo."""
    folder = _BY_CLASS.get((class_type, input_name)) or _BY_INPUT.get(input_name)
    if folder is None:
        return None
    return _ALIASES.get(folder, (folder,))


def looks_like_model_file(name: object) -> bool:
    return isinstance(name, str) and name.lower().endswith(MODEL_EXTENSIONS)


def _norm(name: str) -> str:
    return name.replace("\\", "/").strip("/")


class ModelInventory(Frozen):
    """Model file names per ``models/`` folder ("" holds names whose folder is unknown)."""

    FIELDS = ("files", "source")
    files: Mapping[str, frozenset[str]]
    source: str

    def __init__(
        self, files: Mapping[str, frozenset[str]] | None = None, source: str = "<inventory>"
    ) -> None:
        self._set(files={} if files is None else files, source=source)

    @classmethod
    def from_names(cls, names: Iterable[str], *, source: str = "recipe inventory") -> ModelInventory:
        """Names as a recipe lists them; ``"loras/x.safetensors"`` also counts as ``x.safetensors``."""
        flat = {_norm(str(n)) for n in names if str(n).strip()}
        return cls(files={"": frozenset(flat)}, source=source)

    @classmethod
    def from_dir(cls, path: str | Path) -> ModelInventory:
        """Walk a ComfyUI ``models/`` folder: every file under ``<folder>/`` is one name (sub-paths kept)."""
        root = Path(path)
        if not root.is_dir():
            raise InputError(
                "models folder not found or not a directory",
                anchor=str(path),
                hint="pass the 'models' folder of your ComfyUI install, e.g. --models ~/ComfyUI/models",
            )
        files: dict[str, frozenset[str]] = {}
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            names = set()
            for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = Path(dirpath).relative_to(folder)
                for fname in filenames:
                    if fname.startswith(".") or fname.startswith("put_"):
                        continue
                    names.add(_norm((rel / fname).as_posix()))
            files[folder.name] = frozenset(names)
        return cls(files=files, source=str(root))

    def contains(self, name: str, folder_hint: str | Sequence[str] | None = None) -> bool:
        """Is *name* a known model file (in *folder_hint*'s folders when the inventory has them)?"""
        name = _norm(name)
        folders: Iterable[str] = self.files
        if folder_hint:
            hinted = [folder_hint] if isinstance(folder_hint, str) else list(folder_hint)
            known = [f for f in hinted if f in self.files]
            if known:
                folders = [*known, ""]
        for folder in folders:
            names = self.files.get(folder, frozenset())
            if name in names or (folder == "" and any(n.endswith("/" + name) for n in names)):
                return True
        return False

    def names(self, folder_hint: str | Sequence[str] | None = None) -> list[str]:
        """Sorted names (of the hinted folders when present), for "did you mean" suggestions."""
        hinted = [folder_hint] if isinstance(folder_hint, str) else list(folder_hint or ())
        folders = [f for f in hinted if f in self.files] or list(self.files)
        return sorted({n for f in folders for n in self.files.get(f, ())})

    def __len__(self) -> int:
        return sum(len(v) for v in self.files.values())
