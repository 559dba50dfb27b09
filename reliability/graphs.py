"""Small API-format graphs the scenarios render on the fake server (tiny images, a few nodes)."""

from __future__ import annotations

from typing import Any

from comfyreel.compiler.graph import Graph

CKPT = "ltxv-2b-0.9.8-distilled.safetensors"


def image_graph(color: int = 0xFF8800, batch: int = 1, prefix: str = "img", base: int = 0) -> Graph:
    """EmptyImage -> SaveImage (node ids ``base+1``, ``base+2``)."""
    a, b = str(base + 1), str(base + 2)
    return Graph.from_data(
        {
            a: {
                "class_type": "EmptyImage",
                "inputs": {"width": 16, "height": 16, "batch_size": batch, "color": color},
            },
            b: {"class_type": "SaveImage", "inputs": {"images": [a, 0], "filename_prefix": prefix}},
        },
        source="image.json",
    )


def chain_graph(n: int = 6, prefix: str = "chain", color: int = 7) -> Graph:
    """EmptyImage "1" -> ImageInvert "10".."10+n-1" -> SaveImage "99"."""
    nodes: dict[str, Any] = {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": color},
        }
    }
    prev = "1"
    for i in range(n):
        nid = str(10 + i)
        nodes[nid] = {"class_type": "ImageInvert", "inputs": {"image": [prev, 0]}}
        prev = nid
    nodes["99"] = {"class_type": "SaveImage", "inputs": {"images": [prev, 0], "filename_prefix": prefix}}
    return Graph.from_data(nodes, source="chain.json")


def sampler_graph(seed: int, prefix: str = "s", base: int = 0) -> Graph:
    """Checkpoint -> prompts -> KSampler(seed) -> VAEDecode -> SaveImage; ids ``base+1..base+7``.

    The seed changes the pixels, so two runs that swapped outputs are caught by their hashes.
    """
    i = [str(base + k) for k in range(8)]
    nodes: dict[str, Any] = {
        i[1]: {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CKPT}},
        i[2]: {"class_type": "CLIPTextEncode", "inputs": {"text": f"wave {seed}", "clip": [i[1], 1]}},
        i[3]: {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": [i[1], 1]}},
        i[4]: {"class_type": "EmptyLatentImage", "inputs": {"width": 16, "height": 16, "batch_size": 1}},
        i[5]: {
            "class_type": "KSampler",
            "inputs": {
                "model": [i[1], 0],
                "positive": [i[2], 0],
                "negative": [i[3], 0],
                "latent_image": [i[4], 0],
                "seed": seed,
                "steps": 2,
                "cfg": 1.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "denoise": 1.0,
            },
        },
        i[6]: {"class_type": "VAEDecode", "inputs": {"samples": [i[5], 0], "vae": [i[1], 2]}},
        i[7]: {"class_type": "SaveImage", "inputs": {"images": [i[6], 0], "filename_prefix": prefix}},
    }
    return Graph.from_data(nodes, source=f"sampler-{seed}.json")


def partial_graph(color: int = 0) -> Graph:
    """A valid branch (1 -> 2) plus an invalid one (3: width 99999 -> 4): HTTP 200 with node_errors."""
    graph = image_graph(color=color)
    graph.nodes["3"] = {
        "class_type": "EmptyImage",
        "inputs": {"width": 99999, "height": 8, "batch_size": 1, "color": 0},
    }
    graph.nodes["4"] = {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "bad"}}
    return graph
