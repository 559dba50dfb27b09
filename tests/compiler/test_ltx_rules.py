"""The pure LTX arithmetic: 8n+1 frames, seconds -> frames, size multiples, budgets."""

from __future__ import annotations

import pytest
from comfyreel.compiler import ltx_rules


@pytest.mark.parametrize(
    ("frames", "legal"),
    [
        (1, True),
        (9, True),
        (49, True),
        (97, True),
        (121, True),
        (0, False),
        (48, False),
        (50, False),
        (120, False),
        (5, False),  # 4n+1 counts are not 8n+1: a 4n+1 predicate must fail here
        (53, False),
        (117, False),
    ],
)
def test_is_legal_frames(frames: int, legal: bool) -> None:
    assert ltx_rules.is_legal_frames(frames) is legal


def test_legal_frames_are_exactly_one_more_than_a_multiple_of_8() -> None:
    legal = {8 * k + 1 for k in range(40)}
    assert {n for n in range(-3, 8 * 40) if ltx_rules.is_legal_frames(n)} == legal


@pytest.mark.parametrize(
    ("wanted", "snapped"), [(49, 49), (48, 49), (45, 49), (44.9, 41), (51.4, 49), (0.2, 1)]
)
def test_nearest_legal_frames(wanted: float, snapped: int) -> None:
    assert ltx_rules.nearest_legal_frames(wanted) == snapped


def test_legal_frames_around() -> None:
    assert ltx_rules.legal_frames_around(48) == (41, 49)
    assert ltx_rules.legal_frames_around(49) == (49, 49)
    assert ltx_rules.legal_frames_around(2) == (1, 9)


@pytest.mark.parametrize(
    ("seconds", "fps", "frames", "exact"),
    [(2, 24, 49, True), (4, 24, 97, True), (5, 24, 121, True), (3, 25, 73, False), (2.1, 24, 49, False)],
)
def test_frames_for_seconds(seconds: float, fps: float, frames: int, exact: bool) -> None:
    got, wanted = ltx_rules.frames_for_seconds(seconds, fps)
    assert got == frames
    assert (got == wanted) is exact
    assert ltx_rules.is_legal_frames(got)


def test_multiples_around() -> None:
    assert ltx_rules.multiples_around(770, 32) == (768, 800)
    assert ltx_rules.multiples_around(720, 64) == (704, 768)


def test_max_frames_within() -> None:
    assert ltx_rules.max_frames_within(768 * 768 * 49, 768, 768) == 49
    assert ltx_rules.max_frames_within(768 * 768 * 56, 768, 768) == 49
    assert ltx_rules.max_frames_within(10, 768, 768) == 1


def test_model_table_is_consistent() -> None:
    for name, spec in ltx_rules.MODELS.items():
        assert spec.name == name
        assert ltx_rules.is_legal_frames(spec.max_frames)
        assert spec.min_size % spec.size_multiple == 0 and spec.max_size % spec.size_multiple == 0
        assert spec.uses_steps == (spec.default_steps is not None)
        assert spec.uses_cfg == (spec.default_cfg is not None)
        assert "checkpoint" in spec.default_models and "text_encoder" in spec.default_models
