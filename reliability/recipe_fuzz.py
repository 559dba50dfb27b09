"""Bad-input oracles and a seeded recipe generator, shared by the suite and the hypothesis tests.

:func:`check_recipe_text` is the contract of the compiler front end under fuzzing: a recipe text
either is refused with a clean ``InputError``/``RecipeError`` naming the file (and, for rule
problems, the field), or it loads, compiles and passes ``ensure_valid`` against the pinned schema.
Anything else (a traceback, an unanchored error, a graph that fails validation) raises
:class:`OracleFailure`. :func:`random_recipe_text` feeds it without needing hypothesis installed.
"""

from __future__ import annotations

import json
import random
import traceback
from pathlib import Path
from typing import Any

import yaml

#: Text that must survive a recipe byte-exact: quoting, escaping, template syntax, JSON fragments,
#: control characters, bidi overrides, emoji, lone combining marks.
HOSTILE_STRINGS: tuple[str, ...] = (
    '"',
    "'",
    "\\",
    '\\"',
    "{{ 7*7 }}",
    "{{ ''.__class__.__mro__ }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# comment #}",
    '"}, "999": {"class_type": "SaveImage", "inputs": {}}, "x": {"',
    '{"prompt": null}',
    "]]}}",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[31m",
    "\x85",  # NEL: a line break to YAML 1.1 (see yaml_text)
    "\u2028",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",
    "שלום",
    "مرحبا",
    "😀",
    "👩‍👩‍👧",
    "e\u0301",
    "${HOME}",
    "%s%n",
    "</script>",
    "&amp;",
    "null",
    "true",
    "0x1F",
    "- item",
    "key: value",
    "#not a comment",
    "*alias",
    "&anchor",
    "!!python/object:os.system",
)

SCALARS: tuple[Any, ...] = (
    None, True, False, 0, -1, 1, 2, 7, 8, 9, 17, 33, 49, 97, 121, 257, 1000, 2**63, 2**64, -(2**63),
    0.5, 1e-9, 1e308, -1e308, 23.976, 24, 24.0, 25, 30, 60, 120, 121.0, 32, 64, 96, 128, 256, 512,
    768, 1024, 1280, 1920, 2048, 4096, "", " ", "nan", ".inf", "768", "49", "ltxv-t2v", [], {}, [1],
    {"a": 1}, [None], ["x"],
)  # fmt: skip
MODELS = ("ltxv-t2v", "ltx2-t2v", "ltx2-t2v-distilled", "ltx23-t2v")
FIELDS = (
    "name", "model", "prompt", "negative_prompt", "seconds", "frames", "fps", "width", "height", "seed",
    "steps", "cfg", "loras", "models", "profile", "inventory", "filename_prefix", "$schema",
)  # fmt: skip
ODD_FIELDS = ("Prompt", "widht", "frame", "lora", "template_", "x", "", " ", "1", "models.checkpoint")
MODEL_SLOTS = ("checkpoint", "text_encoder", "audio_vae", "upscaler", "distilled_lora", "vae", "")
RAW_INSERTS = (
    ":", "- ", "\t", "{", "[", "]", "}", "&a ", "*a", "!!python/object:os.system ", "%", "\x00", "\ufeff",
    "---\n", "? ", "|", ">", "'", '"', "#", "\n  ", "\\", "2024-13-45", "!!int x",
)  # fmt: skip


class OracleFailure(AssertionError):
    """The front end broke its contract on one input (the message says how)."""


def check_recipe_text(text: str, source: str = "fuzz.yaml", base_dir: Path | None = None) -> str:
    """``"refused"`` (clean error) or ``"compiled"`` (valid graph); raise OracleFailure otherwise.

    *base_dir* is where the recipe's relative media paths point (the shipped recipes' folder).
    """
    from comfyreel.compiler.compile import compile_recipe
    from comfyreel.compiler.errors import ComfyreelError, GraphInvalid, InputError, RecipeError
    from comfyreel.compiler.loader import load_recipe_text
    from comfyreel.compiler.object_info import ObjectInfo
    from comfyreel.compiler.validate import ensure_valid

    try:
        loaded = load_recipe_text(text, source=source, base_dir=base_dir)
    except (InputError, RecipeError) as exc:
        if not exc.anchor or not exc.anchor.startswith(source):
            raise OracleFailure(f"error without the file name: {exc.anchor!r}: {exc.message}") from None
        if isinstance(exc, RecipeError):
            for problem in exc.problems:
                if not problem.get("field") or not problem.get("message"):
                    raise OracleFailure(f"problem without a field or message: {problem!r}") from None
        return "refused"
    except ComfyreelError as exc:
        raise OracleFailure(f"unexpected {type(exc).__name__} while loading: {exc}") from None
    except Exception as exc:
        raise OracleFailure(f"traceback while loading: {_tb(exc)}") from None
    try:
        graph = compile_recipe(loaded)
        # schema validity only: a recipe's own `inventory:` may rightly list none of its model files
        # (the validator then reports model-missing, by design); that is not a compiler fault
        graph.meta["inventory"] = None
        ensure_valid(graph, ObjectInfo.pinned())
    except GraphInvalid as exc:
        first = "; ".join(str(f) for f in exc.findings[:3])
        raise OracleFailure(f"a recipe that loads compiled to an invalid graph: {first}") from None
    except Exception as exc:
        raise OracleFailure(f"{type(exc).__name__} while compiling a loaded recipe: {_tb(exc)}") from None
    return "compiled"


def _tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)).strip()


def hostile_text(rng: random.Random, max_parts: int = 4) -> str:
    """A short string mixing hostile pieces and plain words."""
    parts = [rng.choice((*HOSTILE_STRINGS, "a wave", "ok", " ")) for _ in range(rng.randint(1, max_parts))]
    return "".join(parts)


def random_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return hostile_text(rng)
    if roll < 0.85:
        return rng.randint(-(2**70), 2**70) if rng.random() < 0.2 else rng.randint(-10, 5000)
    return rng.uniform(-1e4, 1e4)


def base_recipe(rng: random.Random) -> dict[str, Any]:
    """A recipe that is legal for its model (sizes 64-multiples, 8n+1 frames) before mutation."""
    model = rng.choice(MODELS)
    data: dict[str, Any] = {
        "model": model,
        "prompt": hostile_text(rng) if rng.random() < 0.5 else "a red fox in snow",
        "width": 64 * rng.randint(2, 12),
        "height": 64 * rng.randint(2, 12),
        "seed": rng.randint(0, 2**64 - 1),
    }
    if rng.random() < 0.5:
        data["frames"] = 8 * rng.randint(1, 12) + 1
    else:
        data["seconds"] = rng.choice([1, 2, 2.5, 4])
    if model.startswith("ltx2") or model == "ltx23-t2v":
        data["fps"] = rng.choice([24, 25, 30])
    else:
        data["fps"] = rng.choice([24, 25, 23.976])
    if rng.random() < 0.3:
        data["name"] = rng.choice(["fox", "a-b_c.1", hostile_text(rng)])
    if rng.random() < 0.3:
        data["negative_prompt"] = hostile_text(rng)
    if rng.random() < 0.3:
        data["loras"] = [
            {"name": rng.choice(["style.safetensors", hostile_text(rng)]), "strength": rng.uniform(-3, 3)}
            for _ in range(rng.randint(0, 3))
        ]
    if rng.random() < 0.2:
        data["profile"] = "rtx4060-8gb"
    if rng.random() < 0.2:
        data["filename_prefix"] = rng.choice(["out/x", "../x", "/abs", "a\\b", hostile_text(rng)])
    return data


def mutate(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    for _ in range(rng.randint(0, 3)):
        roll = rng.random()
        if roll < 0.5:
            data[rng.choice(FIELDS)] = random_value(rng)
        elif roll < 0.65 and data:
            data.pop(rng.choice(sorted(data)), None)
        elif roll < 0.75:
            data[rng.choice(ODD_FIELDS)] = random_value(rng)
        elif roll < 0.88:
            data["models"] = {rng.choice(MODEL_SLOTS): random_value(rng) for _ in range(rng.randint(0, 3))}
        else:
            data["loras"] = [
                rng.choice([{"name": random_value(rng)}, {"strength": random_value(rng)}, random_value(rng)])
                for _ in range(rng.randint(0, 3))
            ]
    return data


def yaml_text(data: Any, **kwargs: Any) -> str:
    """``yaml.safe_dump`` that round-trips: PyYAML writes a raw NEL (U+0085) under allow_unicode,
    and YAML 1.1 reads a raw NEL back as a line break (folded to a space); escaped, it is exact."""
    unicode_ok = kwargs.pop("allow_unicode", True) and "\x85" not in json.dumps(data, ensure_ascii=False)
    return yaml.safe_dump(data, allow_unicode=unicode_ok, **kwargs)


def dump(data: Any, rng: random.Random) -> tuple[str, str]:
    """``(text, source)``: YAML (several styles) or JSON."""
    if rng.random() < 0.25:
        return json.dumps(data, ensure_ascii=rng.random() < 0.5), "fuzz.json"
    style = rng.choice([None, True, False])
    text = yaml_text(data, allow_unicode=rng.random() < 0.7, default_flow_style=style, sort_keys=False)
    return text, "fuzz.yaml"


def corrupt(text: str, rng: random.Random) -> str:
    """Insert, delete or truncate at random places (broken indentation, stray indicators, ...)."""
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.6:
            text = text[:at] + rng.choice(RAW_INSERTS) + text[at:]
        elif roll < 0.85:
            text = text[:at] + text[at + rng.randint(1, 8) :]
        else:
            text = text[:at]
    return text


def random_recipe_text(rng: random.Random) -> tuple[str, str]:
    """One fuzz case: a mutated recipe, serialised, sometimes corrupted as text."""
    text, source = dump(mutate(base_recipe(rng), rng), rng)
    if rng.random() < 0.25:
        text = corrupt(text, rng)
    return text, source
