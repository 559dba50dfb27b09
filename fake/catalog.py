"""The fake server's node catalog: the pinned /object_info snapshot plus installed model names.

The snapshot ships with empty model combos (no models were installed where it was taken); the fake
fills them from a configurable list of installed model files, so validation of `ckpt_name` & co.
behaves like a server that has those files.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from comfyreel.compiler.inventory import folder_for

SNAPSHOT = "object_info-0.27.0.json"

#: Model files the LTX templates and recipes reference, by ComfyUI models folder.
DEFAULT_MODELS: dict[str, list[str]] = {
    "checkpoints": [
        "ltx-2-19b-dev-fp8.safetensors",
        "ltx-2-19b-distilled-fp8.safetensors",
        "ltx-2-19b-distilled.safetensors",
        "ltx-2.3-22b-dev-fp8.safetensors",
        "ltx-video-2b-v0.9.5.safetensors",
        "ltx-video-2b-v0.9.safetensors",
        "ltxv-2b-0.9.8-distilled.safetensors",
    ],
    "text_encoders": ["gemma_3_12B_it_fp4_mixed.safetensors", "t5xxl_fp16.safetensors"],
    "loras": [
        "gemma-3-12b-it-abliterated_lora_rank64_bf16.safetensors",
        "ltx-2-19b-distilled-lora-384.safetensors",
        "ltx-2-19b-lora-camera-control-dolly-left.safetensors",
        "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors",
    ],
    "latent_upscale_models": [
        "ltx-2-spatial-upscaler-x2-1.0.safetensors",
        "ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
    ],
    "vae": ["ltx-av-step-1751000_vocoder_24K.safetensors"],
    "diffusion_models": [],
    "upscale_models": [],
}

#: ComfyUI's models folder list (GET /models), as recorded.
MODEL_FOLDERS = [
    "checkpoints",
    "configs",
    "loras",
    "vae",
    "text_encoders",
    "diffusion_models",
    "clip_vision",
    "style_models",
    "embeddings",
    "diffusers",
    "vae_approx",
    "controlnet",
    "gligen",
    "upscale_models",
    "custom_nodes",
    "hypernetworks",
    "photomaker",
    "classifiers",
    "model_patches",
    "audio_encoders",
    "latent_upscale_models",
]


def _normalise_models(models: Mapping[str, Iterable[str]] | Iterable[str] | None) -> dict[str, list[str]]:
    if models is None:
        return copy.deepcopy(DEFAULT_MODELS)
    if isinstance(models, Mapping):
        return {str(k): sorted(str(n) for n in v) for k, v in models.items()}
    names = sorted(str(n) for n in models)
    return {"*": names}


class Catalog:
    """Node schemas (object_info entries) and installed models."""

    def __init__(
        self,
        models: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
        extra_nodes: Mapping[str, dict[str, Any]] | None = None,
        object_info: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.models = _normalise_models(models)
        self._filled: list[tuple[tuple[str, ...] | None, list[Any]]] = []  # (folders, combo filled)
        if object_info is None:
            text = resources.files("comfyreel.compiler.data").joinpath(SNAPSHOT).read_text("utf-8")
            base: dict[str, Any] = json.loads(text)
        else:
            base = copy.deepcopy(dict(object_info))
        for name, entry in (extra_nodes or {}).items():
            base[name] = copy.deepcopy(entry)
        for name, entry in base.items():
            self._fill_combos(name, entry)
        self.nodes: dict[str, dict[str, Any]] = base

    # -- models ----------------------------------------------------------------------------------
    def names_in(self, folder: str) -> list[str]:
        """Installed model names of one folder (all names when models were given as a flat list)."""
        if "*" in self.models:
            return list(self.models["*"])
        return list(self.models.get(folder, []))

    def folders(self) -> list[str]:
        extra = [f for f in self.models if f not in MODEL_FOLDERS and f != "*"]
        return MODEL_FOLDERS + sorted(extra)

    def _fill_combos(self, node: str, entry: dict[str, Any]) -> None:
        """Fill a loader's empty combo from the folder ComfyUI lists for it (``folder_for``, the
        validator's table: nodes.py ``folder_paths.get_filename_list(...)``). An unknown ``*_name``
        input gets every installed name; user-file combos (image, audio, video, latent) stay empty."""
        for section in ("required", "optional"):
            for name, spec in (entry.get("input", {}).get(section) or {}).items():
                if not isinstance(spec, list) or not spec:
                    continue
                folders = folder_for(node, name)
                if folders is None and not name.endswith("_name"):
                    continue
                names = self._all_names() if folders is None else self._names_in_any(folders)
                if isinstance(spec[0], list) and not spec[0]:
                    spec[0] = list(names)
                    self._filled.append((folders, spec[0]))
                elif (
                    spec[0] == "COMBO"
                    and len(spec) > 1
                    and isinstance(spec[1], dict)
                    and not spec[1].get("options")
                ):
                    spec[1]["options"] = list(names)
                    self._filled.append((folders, spec[1]["options"]))

    def install(self, folder: str, names: Iterable[str]) -> None:
        """Add model files to *folder* while serving (ComfyUI lists new files without a restart)."""
        new = [str(n) for n in names]
        key = "*" if "*" in self.models else folder
        self.models[key] = sorted(set(self.models.get(key, [])) | set(new))
        for folders, options in self._filled:
            if folders is None or folder in folders or key == "*":
                options[:] = sorted(set(options) | set(new))

    def _names_in_any(self, folders: Iterable[str]) -> list[str]:
        """Installed names of a folder and its legacy aliases (``text_encoders`` and ``clip``)."""
        return list(dict.fromkeys(n for folder in folders for n in self.names_in(folder)))

    def _all_names(self) -> list[str]:
        return sorted({n for names in self.models.values() for n in names})

    # -- schema lookups --------------------------------------------------------------------------
    def get(self, class_type: str) -> dict[str, Any] | None:
        return self.nodes.get(class_type)

    def is_output(self, class_type: str) -> bool:
        entry = self.nodes.get(class_type)
        return bool(entry and entry.get("output_node"))

    def outputs(self, class_type: str) -> list[str]:
        entry = self.nodes.get(class_type) or {}
        return list(entry.get("output") or [])

    def inputs(self, class_type: str) -> list[tuple[str, str, list[Any]]]:
        """(name, "required"|"optional", spec) in the schema's input order."""
        entry = self.nodes.get(class_type) or {}
        spec_by_section = entry.get("input") or {}
        order = entry.get("input_order") or {}
        result: list[tuple[str, str, list[Any]]] = []
        for section in ("required", "optional"):
            specs = spec_by_section.get(section) or {}
            names = list(order.get(section) or []) + [n for n in specs if n not in (order.get(section) or [])]
            for name in names:
                if name in specs:
                    spec = specs[name]
                    result.append((name, section, spec if isinstance(spec, list) else [spec]))
        return result

    def input_spec(self, class_type: str, name: str) -> list[Any] | None:
        for n, _section, spec in self.inputs(class_type):
            if n == name:
                return spec
        return None
