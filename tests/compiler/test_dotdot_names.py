"""A recipe name with '..' would render and then fail to download (ComfyUI's /view refuses any '..')."""

from __future__ import annotations

import pytest
from comfyreel.compiler.compile import compile_recipe
from comfyreel.compiler.errors import ComfyreelError
from comfyreel.compiler.loader import load_recipe

BODY = "model: ltx2-t2v\nprompt: a wave\nseconds: 2\nfps: 24\nwidth: 768\nheight: 768\nseed: 1\n"


def test_name_with_dotdot_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: take..2\n" + BODY)
    with pytest.raises(ComfyreelError) as info:
        load_recipe(path)
    assert "'..'" in str(info.value) and "take.2" in str(info.value)


def test_file_stem_with_dotdot_names_outputs_safely(tmp_path):
    path = tmp_path / "take..2.yaml"
    path.write_text(BODY)
    graph = compile_recipe(load_recipe(path))
    prefixes = [
        n["inputs"]["filename_prefix"] for n in graph.nodes.values() if "filename_prefix" in n["inputs"]
    ]
    assert prefixes and all(".." not in p for p in prefixes)
