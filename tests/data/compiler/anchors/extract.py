"""Regenerate the anchor expectations from the official workflows (not run by the tests).

    pip download --no-deps comfyui-workflow-templates-json==0.1.123 -d /tmp/cwtj
    unzip -o /tmp/cwtj/*.whl -d /tmp/cwtj/x
    python tests/data/compiler/anchors/extract.py /tmp/cwtj/x/comfyui_workflow_templates_json/templates

Each official UI workflow (MIT) goes through comfyreel's own UI importer; what the compiler folds
into values (Primitive*, ComfyMathExpression, the EmptyImage/ImageScaleBy/GetImageSize size
helpers, the prompt-enhancer switch and preview) is removed by node id, with the reason, as are
nodes no output depends on. What is left, node ids with class types and every link, is written
as <workflow>.json: the composed graph must have exactly these.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from comfyreel.compiler.object_info import ObjectInfo
from comfyreel.compiler.ui_import import import_ui, load_workflow

SIZE_HELPERS = "size helper (EmptyImage -> ImageScaleBy -> GetImageSize): the compiler computes the size"
FOLDED: dict[str, dict[str, str]] = {
    "video_ltx2_i2v": {
        "92:62": "PrimitiveInt frame count",
        "92:89": SIZE_HELPERS,
        "92:90": SIZE_HELPERS,
        "92:91": SIZE_HELPERS,
        "92:106": SIZE_HELPERS,
    },
    "video_ltx2_i2v_distilled": {
        "92:62": "PrimitiveInt frame count",
        "92:89": SIZE_HELPERS,
        "92:90": SIZE_HELPERS,
        "92:91": SIZE_HELPERS,
        "92:106": SIZE_HELPERS,
    },
    "video_ltx2_canny_to_video": {
        "143:110": SIZE_HELPERS,
        "143:145": "PrimitiveInt fps",
        "143:148": "PrimitiveFloat fps",
        "166": "PrimitiveInt width",
        "167": "PrimitiveInt height",
        "168": "PrimitiveInt frames",
        "169": "PrimitiveBoolean bypass",
    },
    "video_ltx2_depth_to_video": {
        "143:110": SIZE_HELPERS,
        "143:145": "PrimitiveInt fps",
        "143:148": "PrimitiveFloat fps",
        "166": "PrimitiveInt width",
        "167": "PrimitiveInt height",
        "168": "PrimitiveInt frames",
        "169": "PrimitiveBoolean bypass",
    },
    "video_ltx2_3_flf2v": {
        "129:98": "PrimitiveInt height",
        "129:102": "PrimitiveInt seconds",
        "129:113": "PrimitiveInt width",
        "129:114": "PrimitiveInt fps",
        "129:123": "ComfyMathExpression fps",
        "129:130": "ComfyMathExpression frames",
        "129:110": SIZE_HELPERS,
    },
    "video_ltx2_3_ia2v": {
        "340:299": "ComfyMathExpression width/2",
        "340:301": "ComfyMathExpression height/2",
        "340:304": "ComfyMathExpression fps",
        "340:329": "ComfyMathExpression frames",
        "340:305": "PrimitiveBoolean bypass",
        "340:319": "PrimitiveStringMultiline prompt",
        "340:323": "PrimitiveInt fps",
        "340:324": "PrimitiveInt height",
        "340:330": "PrimitiveInt width",
        "340:331": "PrimitiveFloat seconds",
        "340:347": "PreviewAny of the enhanced prompt (UI only)",
        "340:348": "ComfySwitchNode enhancer on/off: the compiler picks the branch",
        "340:349": "PrimitiveBoolean enhancer switch",
        "340:345": "prompt enhancer (prompt_enhancer: false)",
        "340:346": "prompt enhancer (prompt_enhancer: false)",
    },
}


def expected(path: Path, folded: dict[str, str], schema: ObjectInfo) -> dict:
    graph = import_ui(load_workflow(path), schema, source=path.name).graph
    nodes = {nid: n["class_type"] for nid, n in graph.nodes.items() if nid not in folded}
    links = [
        [dst, name, src, slot] for dst, name, src, slot in graph.links() if dst in nodes and src in nodes
    ]
    outputs = [nid for nid, cls in nodes.items() if cls == "SaveVideo"]
    used, todo = set(outputs), list(outputs)
    while todo:
        nid = todo.pop()
        for dst, _, src, _ in links:
            if dst == nid and src not in used:
                used.add(src)
                todo.append(src)
    unused = sorted(set(nodes) - used)
    nodes = {nid: cls for nid, cls in nodes.items() if nid in used}
    links = sorted(link for link in links if link[0] in used)
    return {
        "workflow": path.name,
        "source": "comfyui-workflow-templates-json 0.1.123 (MIT), imported with comfyreel.compiler.ui_import",
        "folded": folded,
        "unused": unused,
        "nodes": dict(sorted(nodes.items())),
        "links": links,
    }


def main(folder: str) -> None:
    schema = ObjectInfo.pinned()
    out = Path(__file__).parent
    for name, folded in FOLDED.items():
        data = expected(Path(folder) / f"{name}.json", folded, schema)
        (out / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(name, len(data["nodes"]), "nodes", len(data["links"]), "links", "unused", data["unused"])


if __name__ == "__main__":
    main(sys.argv[1])
