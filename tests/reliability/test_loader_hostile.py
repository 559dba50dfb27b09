"""Hostile recipe texts found by the reliability fuzzing: each must be a clean InputError/RecipeError
naming the file, never a traceback (ValueError, AttributeError, RecursionError) or a crash."""

from __future__ import annotations

import subprocess
import sys

import pytest
from comfyreel.compiler.errors import InputError, RecipeError
from comfyreel.compiler.loader import load_recipe_text

BASE = "model: ltxv-t2v\nprompt: hi\nwidth: 768\nheight: 512\nframes: 49\n"
JSON_BASE = '{"model": "ltxv-t2v", "prompt": "x", "width": 768, "height": 512, "frames": 49, '

CASES = {
    "int-too-long": (BASE + "seed: " + "1" * 5000 + "\n", "r.yaml"),
    "json-int-too-long": (JSON_BASE + '"seed": ' + "1" * 5000 + "}", "r.json"),
    "bad-date": (BASE + "name: 2024-13-45\n", "r.yaml"),
    "tagged-int": (BASE + "seed: !!int 'abc'\n", "r.yaml"),
    "tagged-float": (BASE + "fps: !!float 'abc'\n", "r.yaml"),
    "tagged-timestamp": (BASE + "name: !!timestamp 'x'\n", "r.yaml"),
    "hex-underscore": (BASE + "seed: 0x_\n", "r.yaml"),
    "deep-flow": (BASE + "loras: " + "[" * 3000 + "]" * 3000 + "\n", "r.yaml"),
    "deep-json": (JSON_BASE + '"loras": ' + "[" * 3000 + "]" * 3000 + "}", "r.json"),
    "seconds-overflow": (BASE.replace("frames: 49", "seconds: 1.0e+308\nfps: 30"), "r.yaml"),
    "deep-block": (BASE + "loras:\n" + "".join(" " * i + "-\n" for i in range(1, 1500)), "r.yaml"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_text_is_a_clean_error(name):
    text, source = CASES[name]
    with pytest.raises((InputError, RecipeError)) as info:
        load_recipe_text(text, source=source)
    assert info.value.anchor and info.value.anchor.startswith(source)


def test_very_deep_nesting_does_not_crash_the_interpreter():
    """libyaml's composer recurses in C: 100k levels crashed Python (SIGSEGV) before the guard."""
    code = (
        "from comfyreel.compiler.loader import load_recipe_text\n"
        "from comfyreel.compiler.errors import InputError\n"
        "try:\n"
        "    load_recipe_text('loras: ' + '[' * 100000 + ']' * 100000, source='r.yaml')\n"
        "except InputError as exc:\n"
        "    print('clean', exc.anchor)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith("clean r.yaml")
