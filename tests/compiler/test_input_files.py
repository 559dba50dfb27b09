"""The InputFile value the compiler hands the runner (issue 10)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from comfyreel.compiler.inputs import InputFile, graph_inputs, graph_name, input_file, sha256_file
from comfyreel.compiler.values import FrozenError


def test_input_file_names_media_by_content_hash(tmp_path: Path) -> None:
    data = b"\x89PNG fake bytes" * 1000
    path = tmp_path / "Start.PNG"
    path.write_bytes(data)
    item = input_file(path, "image", "image")
    digest = hashlib.sha256(data).hexdigest()
    assert item.sha256 == digest == sha256_file(path)
    assert item.name == f"comfyreel/{digest[:16]}.png"
    assert (item.subfolder, item.filename) == ("comfyreel", f"{digest[:16]}.png")
    assert item.path == path.resolve()
    assert InputFile.from_dict(item.to_dict()) == item
    with pytest.raises(FrozenError):
        item.name = "x"  # type: ignore[misc]


def test_same_bytes_same_name_anywhere(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"RIFF")
    (tmp_path / "y.wav").write_bytes(b"RIFF")
    assert (
        input_file(tmp_path / "a" / "x.wav", "audio", "audio.file").name
        == input_file(tmp_path / "y.wav", "audio", "audio.file").name
    )


def test_kind_is_checked_and_meta_lookup() -> None:
    with pytest.raises(ValueError):
        InputFile(Path("/x"), graph_name("0" * 64, ".png"), "0" * 64, "text", "image")  # type: ignore[arg-type]
    assert graph_inputs({}) == ()
