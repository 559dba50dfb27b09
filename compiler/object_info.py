"""`ObjectInfo`: a ComfyUI ``/object_info`` schema, normalised into typed node schemas.

The raw JSON maps ``class_type -> {"input": {"required"|"optional"|"hidden": {name: spec}},
"output": [types], "output_node": bool, ...}``. An input spec is ``[TYPE, {options}]``, where TYPE
is a string (``"INT"``, ``"IMAGE"``, ``"*"``, a comma-separated union such as ``"IMAGE,MASK"``, or
a V3 marker such as ``"COMBO"`` / ``"COMFY_AUTOGROW_V3"``) or, for a V1 combo, the list of options.
Both combo forms become ``InputSpec(type="COMBO", choices=(...))``.

Node schemas are parsed lazily on first lookup and cached. A file with a span index (the shipped
snapshots, or any large ``--object-info`` file after its first load; see
:mod:`comfyreel.compiler.schema_index`) is not even ``json.loads``-ed as a whole: only the entries
a graph uses are. :meth:`ObjectInfo.pinned` is cached per process.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from comfyreel.compiler.errors import ObjectInfoError
from comfyreel.compiler.values import Frozen

PINNED_RESOURCE = "object_info-0.27.0.json"
#: sha256 of the shipped ``compiler/data/object_info-0.27.0.json`` (checked by a test).
PINNED_SHA256 = "620e39ddb6cc6bcbf81444015a553c0ca435284ecd04280a5c9bb2f6c959ab39"
PINNED_VERSION = "0.27.0"

#: Types a literal (widget) value can have; anything else must come through a link.
PRIMITIVE_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})
ANY = "*"
# V3 dynamic inputs: their sub-inputs appear in the prompt as "<name>.<sub>".
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
AUTOGROW = "COMFY_AUTOGROW_V3"
DYNAMIC_SLOT = "COMFY_DYNAMICSLOT_V3"
MATCHTYPE = "COMFY_MATCHTYPE_V3"
DYNAMIC_TYPES = frozenset({DYNAMIC_COMBO, AUTOGROW, DYNAMIC_SLOT})


def type_set(type_name: str) -> frozenset[str]:
    """``"IMAGE,MASK"`` -> ``{"IMAGE", "MASK"}`` (ComfyUI's comma-separated unions)."""
    return frozenset(t.strip() for t in type_name.split(",") if t.strip())


def types_compatible(received: str, expected: str) -> bool:
    """ComfyUI's link rule: equal, either side ``*``, or the unions share a type."""
    if received == expected or ANY in (received, expected):
        return True
    got, want = type_set(received), type_set(expected)
    return ANY in got or ANY in want or bool(got & want)


class InputSpec(Frozen):
    """One input of a node: its (normalised) type, section and raw options."""

    FIELDS = ("name", "type", "section", "options", "choices")
    name: str
    type: str
    section: str  # "required" | "optional" | "hidden"
    options: Mapping[str, Any]
    choices: tuple[Any, ...] | None  # the combo options (both forms), None if not a combo

    def __init__(
        self,
        name: str,
        type: str,
        section: str,
        options: Mapping[str, Any] | None = None,
        choices: tuple[Any, ...] | None = None,
    ) -> None:
        self._set(
            name=name, type=type, section=section, options={} if options is None else options, choices=choices
        )

    @property
    def required(self) -> bool:
        return self.section == "required"

    @property
    def is_combo(self) -> bool:
        return self.choices is not None

    @property
    def multiselect(self) -> bool:
        return bool(self.options.get("multiselect"))

    @property
    def types(self) -> frozenset[str]:
        return type_set(self.type)

    @property
    def link_type(self) -> str:
        """The type a link into this input must have (MatchType templates give their allowed types)."""
        if self.type == MATCHTYPE:
            template = self.options.get("template")
            allowed = template.get("allowed_types") if isinstance(template, dict) else None
            return allowed if isinstance(allowed, str) and allowed else ANY
        return self.type

    @property
    def accepts_literal(self) -> bool:
        """False for connection-only types (MODEL, LATENT, ...): a literal can never be right."""
        if self.is_combo or self.type in (ANY, MATCHTYPE, DYNAMIC_COMBO):
            return True
        if self.types & PRIMITIVE_TYPES or ANY in self.types:
            return True
        # V3 custom widgets (e.g. a colour or curve editor) declare a default or a widget type.
        return any(k in self.options for k in ("default", "widgetType", "socketless"))


class NodeSchema(Frozen):
    """One node class: inputs by section, output types, and whether it is an output node."""

    FIELDS = ("class_type", "inputs", "outputs", "output_names", "output_node", "display_name", "deprecated")
    class_type: str
    inputs: Mapping[str, InputSpec]
    outputs: tuple[str, ...]
    output_names: tuple[str, ...]
    output_node: bool
    display_name: str | None
    deprecated: bool

    def __init__(
        self,
        class_type: str,
        inputs: Mapping[str, InputSpec],
        outputs: tuple[str, ...],
        output_names: tuple[str, ...],
        output_node: bool,
        display_name: str | None = None,
        deprecated: bool = False,
    ) -> None:
        self._set(
            class_type=class_type,
            inputs=inputs,
            outputs=outputs,
            output_names=output_names,
            output_node=output_node,
            display_name=display_name,
            deprecated=deprecated,
        )

    @property
    def required(self) -> list[InputSpec]:
        return [s for s in self.inputs.values() if s.section == "required"]

    def live_inputs(self, values: Mapping[str, Any]) -> dict[str, InputSpec]:
        """The inputs of this node given a prompt's input values (V3 dynamic inputs expanded).

        A DynamicCombo ``mode`` adds the chosen option's inputs as ``mode.<sub>``; an Autogrow
        ``images`` adds ``images.<prefix>N`` (the first ``min`` required); hidden inputs are dropped.
        """
        specs: dict[str, InputSpec] = {}
        for spec in self.inputs.values():
            if spec.section != "hidden":
                _expand(spec, spec.name, values, specs)
        return specs

    def output_type(self, index: int) -> str | None:
        if 0 <= index < len(self.outputs):
            out = self.outputs[index]
            return ANY if out == MATCHTYPE else out
        return None


def _expand(spec: InputSpec, name: str, values: Mapping[str, Any], out: dict[str, InputSpec]) -> None:
    if spec.type == AUTOGROW:
        template = spec.options.get("template") or {}
        inner = _template_input(template.get("input"))
        if inner is None:
            return
        section, raw = inner
        try:  # a malformed template from some server must not crash validation
            if "names" in template:
                names = [str(n) for n in template["names"]]
            else:
                names = [f"{template.get('prefix', '')}{i}" for i in range(int(template.get("max", 0)))]
            minimum = int(template.get("min", 0))
        except (TypeError, ValueError):
            return
        for i, sub in enumerate(names):
            sec = "required" if i < minimum and section == "required" and spec.required else "optional"
            _expand(_parse_spec(f"{name}.{sub}", raw, sec), f"{name}.{sub}", values, out)
        return
    if spec.type == DYNAMIC_COMBO:
        options = [o for o in spec.options.get("options", []) if isinstance(o, dict)]
        out[name] = InputSpec(name, "COMBO", spec.section, spec.options, tuple(o.get("key") for o in options))
        chosen = next((o for o in options if o.get("key") == values.get(name)), None)
        if chosen is not None:
            _expand_group(chosen.get("inputs"), name, values, out)
        return
    if spec.type == DYNAMIC_SLOT:
        out[name] = InputSpec(name, str(spec.options.get("slotType", ANY)), spec.section, spec.options)
        if name in values:
            _expand_group(spec.options.get("inputs"), name, values, out)
        return
    out[name] = spec


def _expand_group(group: Any, prefix: str, values: Mapping[str, Any], out: dict[str, InputSpec]) -> None:
    for section, raws in group.items() if isinstance(group, dict) else ():
        for sub, raw in raws.items() if isinstance(raws, dict) else ():
            sub_name = f"{prefix}.{sub}"
            _expand(_parse_spec(sub_name, raw, section), sub_name, values, out)


def _template_input(raw: Any) -> tuple[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    for section in ("required", "optional"):
        entries = raw.get(section)
        if isinstance(entries, dict) and entries:
            return section, next(iter(entries.values()))
    return None


def _parse_spec(name: str, raw: Any, section: str) -> InputSpec:
    """Normalise one raw input spec; unknown shapes become a permissive ``*`` input."""
    if isinstance(raw, str):  # old-style hidden inputs: "PROMPT"
        return InputSpec(name, raw, section)
    if not isinstance(raw, (list, tuple)) or not raw:
        return InputSpec(name, ANY, section)
    head = raw[0]
    options = raw[1] if len(raw) > 1 and isinstance(raw[1], dict) else {}
    if isinstance(head, (list, tuple)):  # V1 combo: [[choices...], {...}]
        return InputSpec(name, "COMBO", section, options, tuple(head))
    if head == "COMBO":  # V3 combo: ["COMBO", {"options": [...]}]
        choices = options.get("options")
        return InputSpec(name, "COMBO", section, options, tuple(choices) if isinstance(choices, list) else ())
    return InputSpec(name, str(head), section, options)


def _parse_node(class_type: str, raw: Mapping[str, Any]) -> NodeSchema:
    inputs: dict[str, InputSpec] = {}
    for section in ("required", "optional", "hidden"):
        entries = raw.get("input", {}).get(section)
        if isinstance(entries, dict):
            for name, spec in entries.items():
                inputs[name] = _parse_spec(name, spec, section)
    outputs = tuple(
        "COMBO" if isinstance(o, list) else str(o) for o in raw.get("output") or ()
    )  # a V1 node returning a combo lists its options as the output "type"
    names = [str(n) for n in raw.get("output_name") or ()]
    names += outputs[len(names) :]  # pad: every output slot gets a name
    return NodeSchema(
        class_type=class_type,
        inputs=inputs,
        outputs=outputs,
        output_names=tuple(names[: len(outputs)]),
        output_node=bool(raw.get("output_node")),
        display_name=raw.get("display_name") if isinstance(raw.get("display_name"), str) else None,
        deprecated=bool(raw.get("deprecated")),
    )


class _Store:
    """What instances loaded from the same bytes share: the bytes, a span index or the parsed JSON."""

    __slots__ = ("data", "parsed", "raw", "source", "spans")

    def __init__(
        self, *, raw: Mapping[str, Any] | None, data: bytes | None = None, spans: Any = None, source: str = ""
    ):
        self.raw = raw
        self.data = data
        self.spans = spans  # {class_type: (start, end)} into data, used while raw is None
        self.parsed: dict[str, NodeSchema] = {}
        self.source = source

    @property
    def names(self) -> Mapping[str, Any]:
        return self.spans if self.raw is None else self.raw

    def entry(self, class_type: str) -> Any:
        if self.raw is not None:
            return self.raw[class_type]
        start, end = self.spans[class_type]
        try:
            node = json.loads(self.data[start:end])
        except ValueError:
            node = None
        if _node_shape_ok(node):
            return node
        return self.materialize()[class_type]  # a stale or damaged index: parse the whole file

    def materialize(self) -> Mapping[str, Any]:
        if self.raw is None:
            raw = _parse_json(self.data[:] if self.data is not None else b"", self.source)
            _check_shape(raw, self.source)
            self.raw, self.spans, self.data = raw, None, None
        return self.raw


class ObjectInfo(Mapping[str, NodeSchema]):
    """A whole ``/object_info`` schema: ``schema["KSampler"]`` -> :class:`NodeSchema`.

    Loaded from a file with a span index (:mod:`comfyreel.compiler.schema_index`), only the node
    entries that are looked up get parsed; :attr:`raw` parses the rest on first use.
    """

    def __init__(
        self,
        raw: Mapping[str, Any] | None,
        *,
        source: str,
        sha256: str | None = None,
        live: bool = False,
        _parsed: dict[str, NodeSchema] | None = None,
        _store: _Store | None = None,
    ):
        if _store is None:
            _store = _Store(raw=raw, source=source)
            if _parsed is not None:
                _store.parsed = _parsed
        self._store = _store
        self._parsed = _store.parsed
        self.source = source
        self.sha256 = sha256
        #: True when read from a running server: its combo lists then name the real model files.
        self.live = live

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_data(
        cls, data: Any, *, source: str = "<object_info>", sha256: str | None = None, live: bool = False
    ) -> ObjectInfo:
        _check_shape(data, source)
        return cls(data, source=source, sha256=sha256, live=live)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        source: str,
        live: bool = False,
        index: Path | None = None,
        cache: bool = False,
    ) -> ObjectInfo:
        """Parse JSON bytes; the same bytes seen again (by sha256) reuse the parsed schema.

        *index*: a span index file to try (the shipped snapshots have one beside them); *cache*:
        also look for (and, for a large file, keep) an index in the user cache. Without a usable
        index the whole JSON is parsed, as before.
        """
        digest = hashlib.sha256(data).hexdigest()
        cached = _BY_SHA256.get(digest)
        if cached is not None:
            return cls(None, source=source, sha256=digest, live=live, _store=cached._store)
        store = _load_store(data, digest, source, index, cache)
        schema = cls(None, source=source, sha256=digest, live=live, _store=store)
        if len(_BY_SHA256) >= _CACHE_SIZE:
            _BY_SHA256.pop(next(iter(_BY_SHA256)))
        _BY_SHA256[digest] = schema
        return schema

    @classmethod
    def from_file(cls, path: str | Path) -> ObjectInfo:
        try:
            data = _read(Path(path))
        except OSError as exc:
            raise ObjectInfoError(
                f"cannot read object_info: {exc.strerror or exc}",
                anchor=str(path),
                hint="save it with: comfyreel snapshot --server http://127.0.0.1:8188 -o snapshot.json",
            ) from None
        from comfyreel.compiler import snapshot_file

        if snapshot_file.is_snapshot(data):  # a `comfyreel snapshot` file: its combos list real models
            snap = snapshot_file.parse_snapshot(data, str(path))
            return cls.from_data(
                snap["object_info"],
                source=snapshot_file.describe(snap, str(path)),
                sha256=snap.get("object_info_sha256"),
                live=True,
            )
        return cls.from_bytes(data, source=str(path), cache=True)

    @classmethod
    def pinned(cls) -> ObjectInfo:
        """The snapshot shipped with comfyreel (ComfyUI 0.27.0, no models), loaded once per process."""
        return _pinned()

    # -- lookup --------------------------------------------------------------------------
    def __getitem__(self, class_type: str) -> NodeSchema:
        node = self._parsed.get(class_type)
        if node is None:
            node = self._parsed[class_type] = _parse_node(class_type, self._store.entry(class_type))
        return node

    def get(self, class_type: str, default: Any = None) -> Any:  # type: ignore[override]
        node = self._parsed.get(class_type) if isinstance(class_type, str) else None
        if node is not None:
            return node
        if not isinstance(class_type, str) or class_type not in self._store.names:
            return default
        return self[class_type]

    def __contains__(self, class_type: object) -> bool:
        return isinstance(class_type, str) and class_type in self._store.names

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.names)

    def __len__(self) -> int:
        return len(self._store.names)

    def __repr__(self) -> str:
        return f"ObjectInfo(source={self.source!r}, nodes={len(self)})"

    @property
    def raw(self) -> Mapping[str, Any]:
        """The JSON as loaded (read-only use: the UI importer needs the raw widget order).

        Parsed in full on first access when the schema was loaded through a span index.
        """
        return self._store.materialize()

    def describe(self) -> dict[str, Any]:
        """For reports and ``--json``: where the schema came from and its hash."""
        return {"source": self.source, "sha256": self.sha256, "nodes": len(self), "live": self.live}


def _parse_json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ObjectInfoError(
            f"object_info is not valid JSON: {exc}",
            anchor=source,
            hint="pass the JSON saved from GET /object_info of your ComfyUI server",
        ) from None


def _load_store(data: bytes, digest: str, source: str, index: Path | None, cache: bool) -> _Store:
    """A lazy store when a matching span index exists; else parse everything (and keep an index)."""
    from comfyreel.compiler import schema_index

    cached_at = schema_index.cache_path(digest) if cache or index is not None else None
    for candidate in (index, cached_at):
        spans = schema_index.read_index(candidate, sha256=digest, size=len(data))
        if spans is not None:
            return _Store(raw=None, data=data, spans=spans, source=source)
    data = data[:]  # a memory map -> bytes (json and the scanner want bytes)
    scanned = schema_index.scan(data) if cached_at is not None else None
    if scanned is None:
        raw = _parse_json(data, source)
        _check_shape(raw, source)
        return _Store(raw=raw, source=source)
    raw, spans = scanned
    _check_shape(raw, source)
    if len(data) >= schema_index.MIN_CACHED_SIZE or index is not None:
        schema_index.write_index(cached_at, spans, sha256=digest, size=len(data))
    return _Store(raw=raw, source=source)


def _node_shape_ok(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and isinstance(node.get("input"), dict)
        and isinstance(node.get("output", []), list)
    )


def _check_shape(data: Any, source: str) -> None:
    hint = "pass the JSON saved from GET /object_info of your ComfyUI server"
    if not isinstance(data, dict) or not data:
        raise ObjectInfoError(
            "object_info must be a non-empty JSON object of node classes", anchor=source, hint=hint
        )
    for name, node in data.items():
        if not _node_shape_ok(node):
            raise ObjectInfoError(
                f"object_info entry {name!r} is not a node schema (needs 'input' and 'output')",
                anchor=source,
                hint=hint,
            )


_CACHE_SIZE = 4
_BY_SHA256: dict[str, ObjectInfo] = {}  # parsed schemas by content hash (oldest dropped first)


@cache
def _pinned() -> ObjectInfo:
    from comfyreel.compiler.schema_index import index_path_beside

    path = Path(__file__).with_name("data") / PINNED_RESOURCE
    try:
        data = _read(path)
    except OSError:  # not a plain folder install (zip, ...): ask importlib.resources
        from importlib.resources import files

        data = files("comfyreel.compiler.data").joinpath(PINNED_RESOURCE).read_bytes()
    return ObjectInfo.from_bytes(data, source=f"pinned:{PINNED_RESOURCE}", index=index_path_beside(path))


def _read(path: Path) -> bytes:
    """The file's bytes; a large file is memory-mapped (hashing a map skips a 2 MB copy: ~1 ms).

    The result supports what the loaders use of bytes: ``len``, slicing to bytes, hashing.
    """
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < _MMAP_FROM:
            return f.read()
        import mmap

        try:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # type: ignore[return-value]
        except (OSError, ValueError):  # a pipe, a special file, a file system without mmap
            return f.read()


_MMAP_FROM = 256 * 1024
