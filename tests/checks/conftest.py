"""Fixtures for check tests: synthetic clips made with PyAV at test time, and fake run dirs."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from comfyreel.checks import synth
from comfyreel.runner.manifest import GRAPH_NAME, Manifest

W, H, N, FPS = 96, 64, 17, 24


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One golden clip (with audio) and one variant per regression / pass case, made once per session."""
    d = tmp_path_factory.mktemp("clips")
    frames = synth.pattern_frames(N, W, H, seed=1)
    audio = synth.tone(N / FPS)
    out: dict[str, Path] = {}

    def v(name: str, fr: np.ndarray, **kw: object) -> None:
        kw.setdefault("audio", audio)
        out[name] = synth.write_video(
            d / f"{name}{kw.pop('suffix', '.mp4')}", fr, fps=kw.pop("fps", FPS), **kw
        )

    v("golden", frames)
    out["copy"] = Path(shutil.copyfile(out["golden"], d / "copy.mp4"))
    v("reencode_crf", frames, crf=30)
    v("reencode_bitrate", frames, crf=None, bitrate=200_000)
    v("reencode_mkv", frames, suffix=".mkv", crf=26)
    v("seed", synth.pattern_frames(N, W, H, seed=2))
    v("lora", synth.pattern_frames(N, W, H, seed=1, style=1))
    v("drop", np.delete(frames, N // 2, axis=0))
    v("dup", np.insert(frames, N // 2, frames[N // 2], axis=0))
    v("noaudio", frames, audio=None)
    v("other_audio", frames, audio=synth.tone(N / FPS, freq=660.0))
    v("size", synth.pattern_frames(N, W + 32, H + 32, seed=1))
    v("fps", frames, fps=30)
    v("vp9", frames, suffix=".webm", codec="libvpx-vp9", crf=30, audio=None)
    out["img_golden"] = synth.write_image(d / "img_golden.png", frames[0])
    out["img_jpeg"] = synth.write_image(d / "img_jpeg.jpg", frames[0])
    out["img_other"] = synth.write_image(d / "img_other.png", synth.pattern_frames(1, W, H, seed=5)[0])
    out["wav_golden"] = synth.write_audio(d / "wav_golden.wav", audio)
    out["flac_same"] = synth.write_audio(d / "flac_same.flac", audio)
    out["wav_silence"] = synth.write_audio(d / "wav_silence.wav", np.zeros_like(audio))
    out["m4a_same"] = synth.write_audio(d / "m4a_same.m4a", audio)
    out["wav_pitch"] = synth.write_audio(d / "wav_pitch.wav", synth.tone(N / FPS, freq=660.0))
    garbage = d / "garbage.mp4"
    garbage.write_bytes(b"this is not a video" * 10)
    out["garbage"] = garbage
    truncated = d / "truncated.mp4"
    truncated.write_bytes(out["golden"].read_bytes()[:300])
    out["truncated"] = truncated
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


RunDirFactory = Callable[..., Path]


def build_run_dir(
    run_dir: Path,
    outputs: dict[str, Path],
    *,
    recipe: str = "recipes/demo.yaml",
    status: str = "success",
    recipe_text: str | None = None,
) -> Path:
    """Write manifest.json, graph.json and outputs/ like `comfyreel run` does."""
    (run_dir / "outputs").mkdir(parents=True)
    graph = run_dir / GRAPH_NAME
    graph.write_text('{"1": {"class_type": "SaveVideo", "inputs": {}}}\n')
    files = []
    for name, src in outputs.items():
        node_id, index = name.split("-")
        dst = run_dir / "outputs" / f"{node_id}-{index}{src.suffix}"
        shutil.copyfile(src, dst)
        files.append(
            {
                "node_id": node_id,
                "index": int(index),
                "kind": "videos",
                "filename": f"ComfyUI_0000{index}_{src.suffix}",
                "path": f"outputs/{dst.name}",
                "size": dst.stat().st_size,
                "sha256": _sha(dst),
            }
        )
    manifest = Manifest.model_validate(
        {
            "comfyreel_version": "0.1.0",
            "created_at": "2026-11-24T05:00:00Z",
            "status": status,
            "recipe": {
                "path": recipe,
                "name": Path(recipe).stem,
                "sha256": "ab" * 32,
                "text": recipe_text,
            },
            "graph": {"sha256": _sha(graph)},
            "object_info": {"source": "pinned:object_info-0.27.0.json", "sha256": "cd" * 32},
            "server": {
                "url": "http://127.0.0.1:8188",
                "comfyui_version": "0.27.0",
                "devices": [{"name": "cpu", "vram_total": 0}],
            },
            "seeds": {"3.seed": 42},
            "timings": {
                "queued_s": 0.01,
                "execution_s": 1.5,
                "total_s": 1.7,
                "nodes": [
                    {
                        "node_id": "3",
                        "class_type": "SamplerCustom",
                        "phase": "sample",
                        "start_s": 0.1,
                        "duration_s": 1.2,
                    }
                ],
            },
            "outputs": files,
            "error": None if status == "success" else {"message": "boom"},
        }
    )
    manifest.write(run_dir)
    return run_dir


@pytest.fixture
def make_run_dir(tmp_path: Path) -> RunDirFactory:
    """Build a run directory the way `comfyreel run` writes it, from given output files."""
    counter = iter(range(1000))

    def make(outputs: dict[str, Path], **kw: object) -> Path:
        return build_run_dir(tmp_path / f"run{next(counter)}", outputs, **kw)  # type: ignore[arg-type]

    return make
