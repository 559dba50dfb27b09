"""Benchmark: load + compile + validate time per shipped recipe, and for 1,000 generated recipes.

Run: ``python benchmarks/compile_validate.py [--count N]``. Prints figures only (no asserts):
the first recipe pays for imports, the pinned schema parse and the Jinja compile, so it is
reported separately from the warm per-recipe times.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = (
    "fox",
    "snow",
    "neon",
    "city",
    "rain",
    "waves",
    "singer",
    "dolly",
    "close-up",
    "golden",
    "hour",
    '"quoted"',
    "{{ braces }}",
    "{% tag %}",
    "é",
    "😀",
    "\\",
    "\n",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="generated recipes to time (default 1000)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.loader import load_recipe, load_recipe_text
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import validate_graph

    schema = ObjectInfo.pinned()
    print(f"imports + pinned schema: {(time.perf_counter() - t0) * 1000:.1f} ms")

    print("\nshipped recipes (load + compile + validate):")
    for index, path in enumerate(sorted((REPO / "recipes").glob("*.yaml"))):
        start = time.perf_counter()
        graph = compile_recipe(load_recipe(path))
        middle = time.perf_counter()
        findings = validate_graph(graph, schema)
        end = time.perf_counter()
        tag = " (cold: first template compile)" if index == 0 else ""
        compile_ms, validate_ms = (middle - start) * 1000, (end - middle) * 1000
        print(
            f"  {path.name:32s} compile {compile_ms:7.2f} ms  validate {validate_ms:7.2f} ms"
            f"  {len(graph):3d} nodes  {len(findings)} findings{tag}"
        )

    rng = random.Random(1234)
    models = ("ltxv-t2v", "ltx2-t2v", "ltx2-t2v-distilled", "ltx23-t2v")
    texts = []
    for i in range(args.count):
        recipe = {
            "model": models[i % len(models)],
            "prompt": " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60))),
            "frames": rng.choice((49, 97, 121)),
            "width": rng.choice((512, 768, 1024)),
            "height": rng.choice((512, 768)),
            "seed": rng.randrange(0, 2**64),
        }
        if i % 3 == 0:
            recipe["loras"] = [
                {"name": f"lora-{j}.safetensors", "strength": 0.5} for j in range(rng.randint(1, 3))
            ]
        if i % 2 == 0:
            recipe["profile"] = "rtx4060-8gb"
        texts.append(json.dumps(recipe, ensure_ascii=False))

    compile_times, validate_times = [], []
    for i, text in enumerate(texts):
        start = time.perf_counter()
        graph = compile_recipe(load_recipe_text(text, source=f"gen-{i}.json"))
        middle = time.perf_counter()
        errors = [f for f in validate_graph(graph, schema) if f.severity == "error"]
        end = time.perf_counter()
        if errors:
            raise SystemExit(f"generated recipe {i} does not validate: {errors[0]}")
        compile_times.append(middle - start)
        validate_times.append(end - middle)
    total = sum(compile_times) + sum(validate_times)
    print(f"\n{args.count} generated recipes (varied models, seeds, prompts, LoRAs, profile):")
    print(
        f"  total {total:.2f} s = {total / args.count * 1000:.2f} ms per recipe "
        f"({args.count / total:.0f} recipes/s)"
    )
    for label, times in (("compile", compile_times), ("validate", validate_times)):
        ms = sorted(t * 1000 for t in times)
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(f"  {label:8s} median {statistics.median(ms):6.2f} ms  p95 {p95:6.2f} ms  max {ms[-1]:6.2f} ms")


if __name__ == "__main__":
    main()
