"""Off-grid output sizes: render on the model's grid, then crop or pad the frames to the asked size.

LTX-2 renders a half-size first pass, so its sides must be multiples of 64; 1280x720 is not
(720 = 11.25 x 64). ``size_policy`` says what to do with such a size:

- ``exact`` (default): an off-grid size is an error naming the two nearest legal sizes.
- ``crop``: render at the next grid size up (1280x768) and centre-crop the decoded frames with core
  ``ImageCrop`` to the asked size (the picture loses a band top and bottom; nothing is distorted).
- ``pad``: render at the next grid size down (1280x704) and letterbox the frames to the asked size
  with core ``ImagePadForOutpaint`` (grey bars, feathering 0).

The asked size must be a multiple of 8 (ImagePadForOutpaint pads in steps of 8, and video encoders
want even sides). The frames are cropped or padded right before every node that turns decoded
frames into an output (``CreateVideo``, ``SaveImage``, ``SaveAnimatedWEBP``, ...), for built-in and
user templates alike, in nodes ``990``, ``991``, ... (no official workflow uses those ids).
"""

from __future__ import annotations

from typing import Literal

from comfyreel.compiler.errors import TemplateError
from comfyreel.compiler.graph import Graph

SizePolicy = Literal["exact", "crop", "pad"]
OUTPUT_SIZE_MULTIPLE = 8
FIRST_NODE_ID = 990
# nodes that take the decoded frames as `images` and make an output of them
FRAME_SINKS = ("CreateVideo", "SaveImage", "SaveAnimatedWEBP", "SaveAnimatedPNG", "PreviewImage")


def render_side(value: int, multiple: int, policy: SizePolicy) -> int:
    """The side to render for *value*: itself on the grid, else the grid size up (crop) or down (pad)."""
    if value % multiple == 0 or policy == "exact":
        return value
    below = value // multiple * multiple
    return below + multiple if policy == "crop" else below


def apply(graph: Graph, *, want: tuple[int, int], rendered: tuple[int, int], policy: SizePolicy) -> Graph:
    """Insert the crop (or pad) from *rendered* to *want* before every frame sink; *graph* is changed."""
    if want == rendered:
        return graph
    sinks = [
        (node_id, node)
        for node_id, node in graph
        if node.get("class_type") in FRAME_SINKS and isinstance(node.get("inputs", {}).get("images"), list)
    ]
    if not sinks:
        raise TemplateError(
            f"size_policy {policy}: the graph has no node that outputs frames ({', '.join(FRAME_SINKS)})",
            anchor=graph.source,
            hint="render on the model's grid (size_policy: exact), or output frames through CreateVideo",
        )
    want_w, want_h = want
    title = f"{'Crop' if policy == 'crop' else 'Pad'} to {want_w}x{want_h} (size_policy: {policy})"
    crops: dict[tuple[str, int], str] = {}  # one crop per distinct frames link
    next_id = FIRST_NODE_ID
    for _node_id, node in sinks:
        link = (str(node["inputs"]["images"][0]), int(node["inputs"]["images"][1]))
        if link not in crops:
            while str(next_id) in graph.nodes:
                next_id += 1
            crops[link] = str(next_id)
            graph.nodes[crops[link]] = _node(policy, list(link), want, rendered, title)
        node["inputs"]["images"] = [crops[link], 0]
    return graph


def _node(
    policy: SizePolicy, images: list[object], want: tuple[int, int], rendered: tuple[int, int], title: str
) -> dict[str, object]:
    (want_w, want_h), (render_w, render_h) = want, rendered
    if policy == "crop":
        inputs: dict[str, object] = {
            "image": images,
            "width": want_w,
            "height": want_h,
            "x": (render_w - want_w) // 2,
            "y": (render_h - want_h) // 2,
        }
        return {"class_type": "ImageCrop", "_meta": {"title": title}, "inputs": inputs}
    left = (want_w - render_w) // 2 // 8 * 8
    top = (want_h - render_h) // 2 // 8 * 8
    inputs = {
        "image": images,
        "left": left,
        "top": top,
        "right": want_w - render_w - left,
        "bottom": want_h - render_h - top,
        "feathering": 0,
    }
    return {"class_type": "ImagePadForOutpaint", "_meta": {"title": title}, "inputs": inputs}
