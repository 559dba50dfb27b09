"""Rules of the `ranges` family: value-min, value-max, value-step (step counted from min)."""

from __future__ import annotations

import pytest
from conftest import image_graph, latent_graph, one, run


def test_above_max(pinned) -> None:
    finding = one(run(image_graph(width=99999), pinned), "value-max")
    assert finding.severity == "error"
    assert finding.anchor() == "t.json#1(EmptyImage):width"
    assert finding.message == "99999 is above the maximum 16384"
    assert finding.fix == "use 16384 or less"


def test_below_min(pinned) -> None:
    finding = one(run(image_graph(batch_size=0), pinned), "value-min")
    assert finding.anchor() == "t.json#1(EmptyImage):batch_size"
    assert finding.fix == "use 1 or more"


def test_float_range(pinned) -> None:
    graph = image_graph()
    graph["3"] = {
        "class_type": "ImageBlend",
        "inputs": {"image1": ["1", 0], "image2": ["1", 0], "blend_factor": 1.5, "blend_mode": "normal"},
    }
    graph["2"]["inputs"]["images"] = ["3", 0]
    finding = one(run(graph, pinned), "value-max")
    assert finding.input == "blend_factor" and finding.fix == "use 1 or less"


@pytest.mark.parametrize(("length", "fix"), [(100, "use 97 or 105"), (96, "use 89 or 97"), (2, "use 1 or 9")])
def test_ltx_length_is_8n_plus_1(pinned, length, fix) -> None:
    finding = one(run(latent_graph(length=length), pinned), "value-step")
    assert finding.anchor() == "t.json#1(EmptyLTXVLatentVideo):length"
    assert "8n+1" in finding.message
    assert finding.fix == fix


@pytest.mark.parametrize(("width", "fix"), [(700, "use 672 or 704"), (65, "use 64 or 96")])
def test_ltx_size_is_a_multiple_of_32(pinned, width, fix) -> None:
    finding = one(run(latent_graph(width=width), pinned), "value-step")
    assert "a multiple of 32" in finding.message
    assert finding.fix == fix


def test_step_fix_stays_inside_max(pinned) -> None:
    # length: min 1, step 8, max 16384 -> the last legal value is 16377; 16385 is over the max.
    finding = one(run(latent_graph(length=16380), pinned), "value-step")
    assert finding.fix == "use 16377"


@pytest.mark.parametrize(
    "values",
    [
        {"length": 97, "width": 768, "height": 512},
        {"length": 1, "width": 64},
        {"length": 121, "width": 1280, "height": 704},
    ],
)
def test_on_grid_values_pass(pinned, values) -> None:
    assert run(latent_graph(**values), pinned) == []


def test_out_of_range_is_not_also_a_step_finding(pinned) -> None:
    findings = run(latent_graph(width=33), pinned)
    assert [f.rule for f in findings] == ["value-min"]
