"""Bad-input scenarios: fuzzed recipes, template injection, a hostile server, leaked credentials.

Same contract as :mod:`scenarios_faults`: ``(runs, seed, work) -> Tally``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from comfyreel.reliability.harness import Hung, Tally, attempt, bounded, rng_for
from comfyreel.reliability.recipe_fuzz import (
    HOSTILE_STRINGS,
    MODELS,
    OracleFailure,
    check_recipe_text,
    random_recipe_text,
    yaml_text,
)

TARGET = "100% passed, 0 hung"

#: User templates that reach for Python internals, mutate data or exhaust memory: all must be refused.
ATTACK_TEMPLATES: tuple[str, ...] = (
    "{{ ''.__class__.__mro__[1].__subclasses__() | tojson }}",
    "{{ prompt.__class__.__base__ | tojson }}",
    "{{ (1).__class__ | tojson }}",
    "{{ cycler.__init__.__globals__.os | tojson }}",
    "{{ lipsum.__globals__['os'].popen('id').read() | tojson }}",
    "{{ self._TemplateReference__context | tojson }}",
    "{{ namespace.__init__.__globals__ | tojson }}",
    "{{ joiner.__init__.__globals__ | tojson }}",
    "{{ loras.__class__.__mro__ | tojson }}",
    "{{ models.__class__ | tojson }}",
    "{{ prompt.format.__globals__ | tojson }}",
    "{{ [].__class__.__base__.__subclasses__() | tojson }}",
    "{% set x = loras.append(1) %}{{ loras | tojson }}",
    "{% set _ = models.update({'a': 1}) %}{{ models | tojson }}",
    "{{ ('x' * 100000000) | tojson }}",
    "{{ 9 ** 99999999 }}",
    "{{ request | tojson }}",
    "{{ config | tojson }}",
    "{{ prompt }}",
    "{{ prompt | safe }}",
)


def recipe_fuzz(runs: int, seed: int, work: Path) -> Tally:
    """Random recipes (mutated fields, hostile values, broken YAML/JSON text) through load -> compile
    -> ensure_valid: a clean InputError/RecipeError naming file and field, or a valid graph."""
    tally = Tally("recipe-fuzz", "tracebacks or invalid graphs", TARGET + ", 0 tracebacks or invalid graphs")
    rng = rng_for(tally.name, seed)
    compiled = 0
    for i in range(runs):
        text, source = random_recipe_text(rng)
        tally.runs += 1
        try:
            compiled += bounded(lambda t=text, s=source: check_recipe_text(t, s), 30.0) == "compiled"
            tally.passed += 1
        except Hung as exc:
            tally.hung += 1
            tally.fail(f"case {i}: {exc}: {text[:120]!r}")
        except OracleFailure as exc:
            tally.value += 1
            tally.fail(f"case {i}: {exc} <- {text[:160]!r}")
    if runs >= 50 and compiled == 0:  # the generator must also reach the compiler
        tally.fail("no fuzz case compiled: the generator only exercised the error paths")
        tally.passed -= 1
    return tally


def _graph_strings(graph: Any) -> set[str]:
    return {v for _, node in graph for v in (node.get("inputs") or {}).values() if isinstance(v, str)}


def template_injection(runs: int, seed: int, work: Path) -> Tally:
    """Hostile prompts, negative prompts and file names arrive byte-exact in the graph; user templates
    that reach for Python internals, mutate data or build huge values are refused by the sandbox."""
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.errors import ComfyreelError, TemplateError
    from comfyreel.compiler.loader import load_recipe_text

    tally = Tally("template-injection", "not byte-exact / not refused", TARGET + ", 0 altered, 0 escapes")
    rng = rng_for(tally.name, seed)
    folder = work / tally.name
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(runs):
        if i % 4 == 3:  # a user template attack
            attack = ATTACK_TEMPLATES[(i // 4) % len(ATTACK_TEMPLATES)]
            (folder / "evil.json.j2").write_text(
                '{"1": {"class_type": "X", "inputs": {"v": ' + attack + "}}}", encoding="utf-8"
            )
            text = yaml_text({**_recipe(rng, "x"), "template": "evil.json.j2"}, allow_unicode=True)
            got = attempt(
                tally,
                f"attack {attack!r}",
                lambda t=text: compile_recipe(load_recipe_text(t, source="evil.yaml", base_dir=folder)),
                30.0,
                expected=(TemplateError,),
            )
            if got is not None and got.error is not None:
                tally.passed += 1
            elif got is not None:
                tally.value += 1
                tally.fail(f"attack {attack!r} was rendered: {json.dumps(got.value.nodes)[:120]}")
            continue
        tally.runs += 1
        prompt = "".join(rng.choice(HOSTILE_STRINGS) for _ in range(rng.randint(1, 6))) + rng.choice(
            ["", " end"]
        )
        if not prompt.strip():
            prompt += "a wave"  # an empty prompt is refused by a rule (correctly): keep one visible word
        negative = "".join(rng.choice(HOSTILE_STRINGS) for _ in range(rng.randint(1, 3)))
        lora = "".join(rng.choice(HOSTILE_STRINGS) for _ in range(rng.randint(1, 2))) + ".safetensors"
        data = {**_recipe(rng, prompt), "loras": [{"name": lora, "strength": 1.0}]}
        uses_negative = data["model"] != "ltx2-t2v-distilled"
        if uses_negative:
            data["negative_prompt"] = negative
        as_json = rng.random() < 0.3
        text = json.dumps(data, ensure_ascii=False) if as_json else yaml_text(data, allow_unicode=True)
        try:
            graph = compile_recipe(load_recipe_text(text, source="inj.json" if as_json else "inj.yaml"))
        except ComfyreelError as exc:
            tally.value += 1
            tally.fail(f"prompt {prompt!r} refused: {exc.message[:160]}")
            continue
        except Exception as exc:
            tally.value += 1
            tally.fail(f"prompt {prompt!r}: traceback {type(exc).__name__}: {exc}")
            continue
        strings = _graph_strings(graph)
        wanted = [prompt, lora] + ([negative] if uses_negative else [])
        missing = [w for w in wanted if w not in strings]
        if missing:
            tally.value += 1
            tally.fail(f"not byte-exact in the graph: {missing[0]!r}")
        else:
            tally.passed += 1
    return tally


def _recipe(rng: random.Random, prompt: str) -> dict[str, Any]:
    return {"model": rng.choice(MODELS), "prompt": prompt, "width": 512, "height": 512, "frames": 49}
