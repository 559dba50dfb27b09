"""The sandboxed Jinja renderer: template + context -> parsed API-format ``Graph``.

Safety by construction:

- ``ImmutableSandboxedEnvironment`` refuses Python internals (``''.__class__``) and any
  mutation of lists or dicts; ``StrictUndefined`` makes a missing variable an error.
- Every ``{{ ... }}`` passes through :func:`_finalize`: numbers, booleans and null print as
  JSON, values already escaped by the ``tojson`` filter print as they are, and a raw string
  is refused. So user text (prompts) can reach the graph only through ``tojson``
  (``json.dumps(ensure_ascii=False)``) and arrives byte-exact; it is data, never a template.
- A macro's output (the fragment library in ``templates/fragments/``) is template text whose
  values already went through the same :func:`_finalize`, so it prints as it is (:class:`Fragment`).
- Templates find the fragments wherever they live: the search path is the template's own folder,
  then the built-in templates folder (``{% import "fragments/ltx2.j2" as f %}``).
- The output is parsed as JSON (duplicate node ids are an error; one trailing comma after the last
  node is allowed, since fragments end every node with one) and wrapped in a ``Graph``.
- :func:`render_graph_tracked` also returns the context variables the render read, so the
  compiler can refuse a recipe field the template ignores.
"""

from __future__ import annotations

import contextvars
import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from comfyreel.compiler.errors import TemplateError
from comfyreel.compiler.graph import Graph
from jinja2.runtime import Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError


class JSONText(str):
    """A string that is already valid JSON (the output of ``tojson``)."""

    __slots__ = ()


class Fragment(str):
    """The output of a template macro: template text plus finalized values, printed as it is."""

    __slots__ = ()


_READS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("comfyreel_reads", default=None)


class _TrackingContext(Context):
    """A Jinja context that records which top-level variables a render looks up."""

    def resolve_or_missing(self, key: str) -> Any:
        reads = _READS.get()
        if reads is not None:
            reads.add(key)
        return super().resolve_or_missing(key)


def tojson(value: Any) -> JSONText:
    """JSON-encode *value* for a template: strings quoted and escaped, unicode kept as is."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # raises (UndefinedError, or SecurityError for internals)
    try:
        return JSONText(json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"tojson cannot encode a {type(value).__name__}: {exc}") from None


def _finalize(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # raises (UndefinedError, or SecurityError for internals)
    if isinstance(value, (JSONText, Fragment)):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TemplateError(f"template printed a non-finite number ({value}); JSON has no such value")
        return json.dumps(value)
    if isinstance(value, str):
        raise TemplateError(
            f"template printed a raw string ({value[:40]!r}); strings must go through the JSON filter",
            hint="write {{ value | tojson }} (it adds the quotes and escapes the text)",
        )
    raise TemplateError(f"template printed a {type(value).__name__}; use {{{{ value | tojson }}}}")


def builtin_template_dir() -> Path:
    """The folder of the shipped ``*.json.j2`` templates."""
    return Path(str(resources.files("comfyreel.templates")))


_MAX_REPEAT = 1_000_000  # the longest string or list `*` may build in a template


class _Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus a cap on `*` and `**` so a template cannot exhaust memory."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large in template")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and len(seq) * count > _MAX_REPEAT
                ):
                    raise SecurityError("template tried to build a huge string or list")
        return super().call_binop(context, operator, left, right)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(__obj, Macro) and isinstance(result, str):
            return Fragment(result)  # a fragment: template text, its values already finalized
        return result


@lru_cache(maxsize=16)
def _environment(folder: str) -> ImmutableSandboxedEnvironment:
    env = _Sandbox(
        loader=jinja2.FileSystemLoader([folder, str(builtin_template_dir())]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["tojson"] = tojson
    env.context_class = _TrackingContext
    return env


def render_graph(template: str | Path, context: dict[str, Any], *, source: str | None = None) -> Graph:
    """Render the template file *template* with *context*; return the parsed graph.

    Raises ``TemplateError`` (naming the template and line) when the template is missing,
    broken, unsafe, or renders something that is not a JSON object of nodes.
    """
    return render_graph_tracked(template, context, source=source)[0]


def render_graph_tracked(
    template: str | Path, context: dict[str, Any], *, source: str | None = None
) -> tuple[Graph, frozenset[str]]:
    """Like :func:`render_graph`, plus the names of the context variables the render read."""
    path = Path(template)
    name = path.name
    reads: set[str] = set()
    token = _READS.set(reads)
    try:
        env = _environment(str(path.parent.resolve()))
        tmpl = env.get_template(name)
        text = tmpl.render(**context)
    except TemplateError as exc:
        exc.anchor = exc.anchor or _where(path, _template_line(exc, path))
        raise
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(
            f"template not found: {exc.name}",
            anchor=str(path),
            hint="templates are .json.j2 files; a recipe's `template:` is relative to it",
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error: {exc.message}", anchor=f"{path}:{exc.lineno}") from None
    except SecurityError as exc:
        raise TemplateError(
            f"template refused by the sandbox: {exc}",
            anchor=_where(path, _template_line(exc, path)),
            hint="templates may only use the recipe values they are given",
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"template uses an undefined value: {exc.message}", anchor=_where(path, _template_line(exc, path))
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(
            f"template failed: {exc}", anchor=_where(path, _template_line(exc, path))
        ) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as exc:
        raise TemplateError(
            f"template failed: {type(exc).__name__}: {exc}", anchor=_where(path, _template_line(exc, path))
        ) from None
    finally:
        _READS.reset(token)
    return parse_rendered(text, template_name=str(path), source=source), frozenset(reads & set(context))


_TRAILING_COMMA = re.compile(r",\s*}\s*$")


def parse_rendered(text: str, *, template_name: str, source: str | None = None) -> Graph:
    """Parse a rendered template as an API-format graph (TemplateError on bad JSON or duplicates)."""
    text = _TRAILING_COMMA.sub("}\n", text, count=1)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        shown = lines[exc.lineno - 1].strip()[:80] if 0 < exc.lineno <= len(lines) else ""
        raise TemplateError(
            f"template rendered invalid JSON: {exc.msg} "
            f"at rendered line {exc.lineno} column {exc.colno}: {shown!r}",
            anchor=template_name,
            hint="look for a missing comma or a value printed without | tojson",
        ) from None
    except _DuplicateKey as exc:
        raise TemplateError(
            f"template rendered the key {exc.args[0]!r} twice (a node id must be unique)",
            anchor=template_name,
        ) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TemplateError(
            "template must render a JSON object of {node_id: {class_type, inputs}}", anchor=template_name
        )
    return Graph(nodes={str(k): v for k, v in data.items()}, source=source)


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _template_line(exc: BaseException, path: Path) -> int | None:
    """The template line where *exc* happened (Jinja maps template frames to their source)."""
    target = str(path.resolve())
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line or getattr(exc, "lineno", None)


def _where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)
