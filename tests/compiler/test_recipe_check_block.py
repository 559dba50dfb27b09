"""The recipe's ``check:`` block: typed at load time, and the same keys as the checker's Tolerances."""

from __future__ import annotations

import dataclasses

import pytest
from comfyreel.compiler.errors import RecipeError
from comfyreel.compiler.loader import load_recipe_text
from comfyreel.compiler.recipe import CheckTolerances

BASE = "model: ltxv-t2v\nprompt: a fox\nframes: 25\nwidth: 512\nheight: 320\n"


def test_a_valid_check_block_loads() -> None:
    loaded = load_recipe_text(BASE + "check:\n  tolerances:\n    min_ssim: 0.7\n", source="r.yaml")
    assert loaded.recipe.check is not None
    assert loaded.recipe.check.tolerances.min_ssim == 0.7


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("check:\n  tolerances:\n    min_psnr: 20\n", "did you mean 'min_psnr_db'"),
        ("check:\n  tolerances:\n    min_ssim: 1.5\n", "check.tolerances.min_ssim"),
        ("check:\n  tolerance: {}\n", "did you mean 'tolerances'"),
    ],
)
def test_a_bad_check_block_names_the_field(block: str, expected: str) -> None:
    with pytest.raises(RecipeError) as info:
        load_recipe_text(BASE + block, source="r.yaml")
    assert expected in str(info.value) + repr(info.value.problems)
    assert "r.yaml" in str(info.value)


def test_recipe_tolerance_names_match_the_checker() -> None:
    from comfyreel.checks.tolerances import Tolerances

    assert set(CheckTolerances.model_fields) == {f.name for f in dataclasses.fields(Tolerances)}
