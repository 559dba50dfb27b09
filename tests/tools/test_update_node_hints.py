"""The maintainer script reads a pack's registered class names statically (no import, no network)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "tools" / "update_node_hints.py"


def _load():
    spec = importlib.util.spec_from_file_location("update_node_hints", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pack_classes_reads_mappings_decorators_and_v3_ids(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        'NODE_CLASS_MAPPINGS = {"Alpha": A, "Beta Node": B}\n'
        'NODE_CLASS_MAPPINGS["Gamma"] = G\n'
        'NODE_CONFIG = {"Delta": {"class": D}}\n'
        'NODE_CLASS_MAPPINGS.update({"Eps": E})\n'
    )
    (tmp_path / "b.py").write_text(
        "@comfy_node(name='Named')\nclass X: pass\n"
        "@comfy_node(description='d')\nclass Plain: pass\n"
        "def schema():\n    return io.Schema(node_id='V3Node')\n"
    )
    (tmp_path / "broken.py").write_text("def (:\n")
    assert _load().pack_classes(tmp_path) == [
        "Alpha",
        "Beta Node",
        "Delta",
        "Eps",
        "Gamma",
        "Named",
        "Plain",
        "V3Node",
    ]
