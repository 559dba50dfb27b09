"""Regenerate ``compiler/data/model_manifest.json``: every model file a built-in recipe can name.

Maintainers run this by hand; comfyreel reads only the JSON (no network at run time):

    pip download --no-deps comfyui-workflow-templates-json==0.1.123 -d /tmp/cwtj
    python tools/update_model_manifest.py --templates /tmp/cwtj/comfyui_workflow_templates_json-0.1.123-*.whl

Sources, cited per entry:

- ``properties.models`` (``name``, ``url``, ``directory``, rarely ``hash``) of the loader nodes in
  the official LTX templates of ``comfyui-workflow-templates-json`` (MIT): every file any LTX-Video,
  LTX-2 or LTX-2.3 template names, so recipes built from those templates are covered;
- :data:`PUBLISHER` below: files the templates do not name (the 8 GB profile's quantised weights)
  and sizes / sha256 read from the publishers' own Hugging Face file pages, each with its page.
"""

from __future__ import annotations

import argparse
import json
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "compiler" / "data" / "model_manifest.json"
# The LTX-Video, LTX-2 and LTX-2.3 local templates (LTX-2.5 and the paid API ones are out of scope).
TEMPLATE = re.compile(r"/(ltxv_[a-z_]+|video_ltx2_(?!5)[a-z0-9_]+|template_ltx2_3_[a-z_]+)\.json$")

# Publisher facts: name -> fields (folder/url for files no template names; size, sha256) + source.
PUBLISHER: dict[str, dict[str, str]] = {
    "ltx-2-19b-dev-fp8.safetensors": {
        "size": "27.1 GB",
        "sha256": "8a67e709b6d1adc061cb19921887a5c15754178199e45801a04310e9b522760d",
        "source": "https://huggingface.co/Lightricks/LTX-2/blob/main/ltx-2-19b-dev-fp8.safetensors",
    },
    "ltx-2-19b-distilled-lora-384.safetensors": {
        "size": "7.67 GB",
        "sha256": "2718f89582003cbb5b616635f18c091641917a3f3e5a2f2ad0fb3d5fdd153534",
        "source": "https://huggingface.co/Lightricks/LTX-2/blob/main/ltx-2-19b-distilled-lora-384.safetensors",
    },
    "ltx-2-19b-distilled-fp8.safetensors": {  # the rtx4060-8gb profile's LTX-2 distilled checkpoint
        "folder": "checkpoints",
        "url": "https://huggingface.co/Lightricks/LTX-2/resolve/main/ltx-2-19b-distilled-fp8.safetensors",
        "size": "27127589812 bytes",
        "sha256": "2be4dd61394194e44e00248773eea9a33e4d4c0d151aeea0e4ba6ed093cf8ab6",
        "source": "https://huggingface.co/Lightricks/LTX-2/commit/db91187f2742815412d294ef5f2de6aacf9dea7c",
    },
    "t5xxl_fp8_e4m3fn.safetensors": {  # the rtx4060-8gb profile's LTX-Video text encoder
        "folder": "text_encoders",
        "url": "https://huggingface.co/comfyanonymous/flux_text_encoders/resolve/main/t5xxl_fp8_e4m3fn.safetensors",
        "size": "4.89 GB",
        "source": "https://huggingface.co/comfyanonymous/flux_text_encoders/tree/main",
    },
    "t5xxl_fp16.safetensors": {
        "size": "9.79 GB",
        "source": "https://huggingface.co/comfyanonymous/flux_text_encoders/tree/main",
    },
    "ltx-video-2b-v0.9.safetensors": {
        "size": "9.37 GB",
        "source": "https://huggingface.co/Lightricks/LTX-Video/tree/refs%2Fpr%2F67",
    },
}


def template_models(wheel: Path) -> tuple[str, dict[tuple[str, str], dict[str, object]]]:
    """``(wheel name, {(folder, name): entry})`` from the LTX templates' ``properties.models``."""
    found: dict[tuple[str, str], dict[str, object]] = {}
    with zipfile.ZipFile(wheel) as zf:
        for path in sorted(zf.namelist()):
            if not TEMPLATE.search(path):
                continue
            data = json.loads(zf.read(path))
            groups = [data.get("nodes") or []]
            groups += [sg.get("nodes") or [] for sg in (data.get("definitions") or {}).get("subgraphs") or []]
            for nodes in groups:
                for node in nodes:
                    for model in (node.get("properties") or {}).get("models") or []:
                        key = (model["directory"], model["name"])
                        entry = found.setdefault(
                            key,
                            {
                                "name": model["name"],
                                "folder": model["directory"],
                                "url": None,
                                "templates": [],
                            },
                        )
                        url = str(model["url"]).split("?", 1)[0]  # some carry ?download=true
                        entry["url"] = entry["url"] or url
                        if model.get("hash") and model.get("hash_type") == "sha256":
                            entry["sha256"] = model["hash"]
                        template = path.rsplit("/", 1)[-1]
                        if template not in entry["templates"]:
                            entry["templates"].append(template)
    return wheel.name, found


def build(wheel: Path) -> dict[str, object]:
    wheel_name, found = template_models(wheel)
    models = []
    names = {name for _, name in found}
    for name, facts in PUBLISHER.items():
        if name not in names:
            found[(facts["folder"], name)] = {
                "name": name,
                "folder": facts["folder"],
                "url": facts["url"],
                "templates": [],
            }
    for (_folder, name), entry in sorted(found.items()):
        facts = PUBLISHER.get(name, {})
        sources = [f"{wheel_name}: {t}" for t in entry.pop("templates")]
        if facts.get("source"):
            sources.append(facts["source"])
        models.append(
            {
                **entry,
                "size": facts.get("size"),
                "sha256": entry.get("sha256") or facts.get("sha256"),
                "sources": sources,
            }
        )
    return {
        "about": "Model files the built-in recipes and the official LTX templates name: ComfyUI models "
        "folder, official download URL, size and sha256 where the publisher gives them. Generated by "
        "tools/update_model_manifest.py (see its docstring).",
        "sources": {
            "templates": f"{wheel_name} (PyPI, MIT): properties.models of the LTX-Video, LTX-2 "
            "and LTX-2.3 templates",
            "publisher": "the publishers' Hugging Face file pages, one per entry (size, sha256)",
        },
        "models": models,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--templates", type=Path, required=True, help="the comfyui-workflow-templates-json wheel"
    )
    args = parser.parse_args()
    data = build(args.templates)
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(data['models'])} model files")


if __name__ == "__main__":
    main()
