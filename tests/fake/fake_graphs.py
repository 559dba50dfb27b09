"""Small API graphs for the fake server's tests."""

from __future__ import annotations

from typing import Any


def ltx_graph(
    seed: int = 42,
    *,
    text: str = "a red fox in the snow",
    lora: float = 1.0,
    length: int = 17,
    width: int = 128,
    height: int = 96,
    fps: float = 24.0,
    audio: bool = True,
    upscale: bool = False,
) -> dict[str, Any]:
    """A small LTX-2-shaped API graph that validates against the pinned schema."""
    ckpt = "ltx-2-19b-dev-fp8.safetensors"
    graph: dict[str, Any] = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": ckpt}},
        "2": {
            "class_type": "LoraLoaderModelOnly",
            "inputs": {
                "model": ["1", 0],
                "lora_name": "ltx-2-19b-distilled-lora-384.safetensors",
                "strength_model": lora,
            },
        },
        "3": {"class_type": "CLIPLoader", "inputs": {"clip_name": "t5xxl_fp16.safetensors", "type": "ltxv"}},
        "4": {"class_type": "CLIPTextEncode", "inputs": {"text": text, "clip": ["3", 0]}},
        "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["3", 0]}},
        "6": {
            "class_type": "LTXVConditioning",
            "inputs": {"positive": ["4", 0], "negative": ["5", 0], "frame_rate": fps},
        },
        "7": {
            "class_type": "EmptyLTXVLatentVideo",
            "inputs": {"width": width, "height": height, "length": length, "batch_size": 1},
        },
        "8": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "9": {
            "class_type": "LTXVScheduler",
            "inputs": {
                "steps": 3,
                "max_shift": 2.05,
                "base_shift": 0.95,
                "stretch": True,
                "terminal": 0.1,
                "latent": ["7", 0],
            },
        },
        "10": {
            "class_type": "SamplerCustom",
            "inputs": {
                "model": ["2", 0],
                "add_noise": True,
                "noise_seed": seed,
                "cfg": 3.0,
                "positive": ["6", 0],
                "negative": ["6", 1],
                "sampler": ["8", 0],
                "sigmas": ["9", 0],
                "latent_image": ["7", 0],
            },
        },
        "11": {"class_type": "VAEDecode", "inputs": {"samples": ["10", 0], "vae": ["1", 2]}},
        "15": {"class_type": "CreateVideo", "inputs": {"images": ["11", 0], "fps": fps}},
        "16": {
            "class_type": "SaveVideo",
            "inputs": {"video": ["15", 0], "filename_prefix": "video/ltx", "format": "auto", "codec": "auto"},
        },
    }
    if audio:
        graph["12"] = {"class_type": "LTXVAudioVAELoader", "inputs": {"ckpt_name": ckpt}}
        graph["13"] = {
            "class_type": "LTXVEmptyLatentAudio",
            "inputs": {
                "audio_vae": ["12", 0],
                "frames_number": length,
                "frame_rate": int(fps),
                "batch_size": 1,
            },
        }
        graph["14"] = {
            "class_type": "LTXVAudioVAEDecode",
            "inputs": {"samples": ["13", 0], "audio_vae": ["12", 0]},
        }
        graph["15"]["inputs"]["audio"] = ["14", 0]
    if upscale:
        graph["20"] = {
            "class_type": "LatentUpscaleModelLoader",
            "inputs": {"model_name": "ltx-2-spatial-upscaler-x2-1.0.safetensors"},
        }
        graph["21"] = {
            "class_type": "LTXVLatentUpsampler",
            "inputs": {"samples": ["10", 0], "upscale_model": ["20", 0], "vae": ["1", 2]},
        }
        graph["11"]["inputs"]["samples"] = ["21", 0]
    return graph
