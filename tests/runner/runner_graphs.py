"""Small API-format graphs for runner tests against the fake server."""

from __future__ import annotations

from typing import Any

from comfyreel.compiler.graph import Graph

CKPT = "ltxv-2b-0.9.8-distilled.safetensors"


def image_graph(color: int = 0xFF8800, batch: int = 2, prefix: str = "img") -> Graph:
    return Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": batch, "color": color},
            },
            "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": prefix}},
        },
        source="image.json",
    )


def sampler_graph(seed: int, prefix: str = "s") -> Graph:
    """Checkpoint -> prompts -> KSampler(seed) -> VAEDecode -> SaveImage: the seed changes the pixels."""
    nodes: dict[str, Any] = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CKPT}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a wave", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "5": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["1", 0],
                "positive": ["2", 0],
                "negative": ["3", 0],
                "latent_image": ["4", 0],
                "seed": seed,
                "steps": 2,
                "cfg": 1.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
            },
        },
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": prefix}},
    }
    return Graph.from_data(nodes, source=f"sampler-{seed}.json")


def video_graph(prefix: str = "video/v") -> Graph:
    return Graph.from_data(
        {
            "1": {
                "class_type": "EmptyImage",
                "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 255},
            },
            "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 8.0}},
            "3": {
                "class_type": "SaveVideo",
                "inputs": {"video": ["2", 0], "filename_prefix": prefix, "format": "mp4", "codec": "h264"},
            },
        },
        source="video.json",
    )


def chain_graph(n: int = 6, prefix: str = "chain") -> Graph:
    """EmptyImage -> n x ImageInvert -> SaveImage: n+2 nodes, each taking the fake's node delay."""
    nodes: dict[str, Any] = {
        "1": {"class_type": "EmptyImage", "inputs": {"width": 32, "height": 32, "batch_size": 1, "color": 7}}
    }
    prev = "1"
    for i in range(n):
        nid = str(10 + i)
        nodes[nid] = {"class_type": "ImageInvert", "inputs": {"image": [prev, 0]}}
        prev = nid
    nodes["99"] = {"class_type": "SaveImage", "inputs": {"images": [prev, 0], "filename_prefix": prefix}}
    return Graph.from_data(nodes, source="chain.json")
