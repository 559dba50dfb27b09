"""The public surface: every name in ``__all__`` resolves, and each is the object its module defines."""

from __future__ import annotations

import importlib

import comfyreel.compiler as compiler
import pytest


@pytest.mark.parametrize("name", compiler.__all__)
def test_compiler_exports_resolve(name: str) -> None:
    value = getattr(compiler, name)
    home = importlib.import_module(f"comfyreel.compiler.{compiler._EXPORTS[name]}")
    assert value is getattr(home, name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        compiler.no_such_thing  # noqa: B018


def test_every_error_derives_from_the_root() -> None:
    from comfyreel.compiler import errors
    from comfyreel.runner import errors as run_errors

    classes = [
        obj
        for module in (errors, run_errors)
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == module.__name__
    ]
    assert len(classes) > 15
    assert all(issubclass(cls, errors.ComfyreelError) for cls in classes)
    # Exit codes of the runner's outcomes are distinct, so scripts can tell them apart.
    outcomes = [c for c in classes if issubclass(c, run_errors.RunError) and c is not run_errors.RunError]
    assert len({c.exit_code for c in outcomes}) == len(outcomes)
