"""ComfyUI-like validation of a submitted API graph (its `validate_prompt`), with recorded bodies.

Returns what `POST /prompt` needs: ok, the top-level error object, the valid outputs and
`node_errors`. Error types, messages, `details` and `extra_info` keys follow the recordings:
errors sit on the node at fault, `dependent_outputs` names the blocked outputs, unknown inputs are
ignored, and the prompt is accepted when at least one output validates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from comfyreel.fake.catalog import Catalog

_FAKE_TB = '  File "<FAKE>/execution.py", line 1010, in validate_prompt\n    m = await validate_inputs(prompt_id, prompt, o, validated)\n'  # noqa: E501


#: (class_type, input) -> kind, for inputs validated by file existence (ComfyUI's VALIDATE_INPUTS /
#: ``validate_inputs``: "Invalid image file: X"), never by their combo list.
_FILE_INPUTS = {
    ("LoadImage", "image"): "image",
    ("LoadImageMask", "image"): "image",
    ("LoadVideo", "file"): "video",
    ("LoadAudio", "audio"): "audio",
}


@dataclass
class Verdict:
    """The outcome of validation."""

    ok: bool
    error: dict[str, Any] | None = None
    good_outputs: list[str] = field(default_factory=list)
    node_errors: dict[str, Any] = field(default_factory=dict)


def _err(type_: str, message: str, details: str = "", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": extra or {}}


def _is_link(value: Any) -> bool:
    return isinstance(value, list)


def _input_info(spec: list[Any]) -> tuple[Any, dict[str, Any]]:
    input_type = spec[0]
    extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return input_type, extra


_MATCHTYPE = "COMFY_MATCHTYPE_V3"  # V3 template types (ResizeImageMaskNode...): resolved per link


def _types_match(received: str, expected: Any) -> bool:
    if isinstance(expected, list):  # a V1 combo
        expected = "COMBO"
    if received in ("*", _MATCHTYPE) or expected in ("*", _MATCHTYPE):  # a MatchType follows its input
        return True
    if received == expected:
        return True
    got = {t.strip() for t in str(received).split(",")}
    want = {t.strip() for t in str(expected).split(",")}
    return bool(got & want)


class _Validator:
    def __init__(
        self, prompt: dict[str, Any], catalog: Catalog, input_exists: Callable[[str], bool] | None = None
    ) -> None:
        self.input_exists = input_exists
        self.prompt = prompt
        self.catalog = catalog
        self.validated: dict[str, tuple[bool, list[dict[str, Any]]]] = {}

    def node(self, node_id: str) -> tuple[bool, list[dict[str, Any]]]:
        if node_id in self.validated:
            return self.validated[node_id]
        node = self.prompt[node_id]  # KeyError for a missing node, as in ComfyUI
        class_type = node["class_type"]
        inputs = node.get("inputs") or {}
        if not isinstance(inputs, dict):
            inputs = {}
        errors: list[dict[str, Any]] = []
        valid = True
        for name, section, spec in self.catalog.inputs(class_type):
            input_type, extra = _input_info(spec)
            info = [input_type, extra]
            if name not in inputs:
                if section == "required":
                    errors.append(
                        _err(
                            "required_input_missing", "Required input is missing", name, {"input_name": name}
                        )
                    )
                continue
            value = inputs[name]
            if _is_link(value):
                if not self._link(node_id, name, value, input_type, info, errors):
                    valid = False
                continue
            kind = _FILE_INPUTS.get((class_type, name))
            if kind is not None and self.input_exists is not None:
                # LoadImage/LoadVideo/LoadAudio validate by file existence; the combo is not checked
                # (execution.py: inputs a validate function takes skip the list check).
                if not (isinstance(value, str) and self.input_exists(value)):
                    errors.append(
                        _err(
                            "custom_validation_failed",
                            "Custom validation failed for node",
                            f"{name} - Invalid {kind} file: {value}",
                            {"input_name": name},
                        )
                    )
                continue
            self._value(name, value, input_type, extra, info, errors, inputs)
        result = (not errors and valid, errors)
        self.validated[node_id] = result
        return result

    def _link(
        self,
        node_id: str,
        name: str,
        value: list[Any],
        input_type: Any,
        info: list[Any],
        errors: list[dict[str, Any]],
    ) -> bool:
        if len(value) != 2:
            errors.append(
                _err(
                    "bad_linked_input",
                    "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                    name,
                    {"input_name": name, "input_config": info, "received_value": value},
                )
            )
            return True
        source_id = value[0]  # no str(): an integer id is a KeyError (400), as in validate_inputs
        source_class = self.prompt[source_id]["class_type"]  # KeyError like ComfyUI
        returns = self.catalog.outputs(source_class)
        received = tuple(returns)[value[1]]  # IndexError / TypeError like ComfyUI
        if not _types_match(received, input_type):
            errors.append(
                _err(
                    "return_type_mismatch",
                    "Return type mismatch between linked nodes",
                    f"{name}, received_type({received}) mismatch input_type({input_type})",
                    {
                        "input_name": name,
                        "input_config": info,
                        "received_type": received,
                        "linked_node": value,
                    },
                )
            )
            return True
        try:
            ok, _ = self.node(source_id)
        except Exception as ex:  # an exception inside the upstream node lands on that node
            self.validated[source_id] = (
                False,
                [
                    _err(
                        "exception_during_validation",
                        "Exception when validating inner node",
                        str(ex),
                        {
                            "input_name": name,
                            "input_config": info,
                            "exception_message": str(ex),
                            "exception_type": _type_name(ex),
                            "traceback": [_FAKE_TB],
                            "linked_node": value,
                        },
                    )
                ],
            )
            return False
        return ok

    def _value(
        self,
        name: str,
        value: Any,
        input_type: Any,
        extra: dict[str, Any],
        info: list[Any],
        errors: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> None:
        if isinstance(value, dict) and "__value__" in value:
            value = value["__value__"]
            inputs[name] = value
        try:
            if input_type == "INT":
                value = int(value)
            elif input_type == "FLOAT":
                value = float(value)
            elif input_type == "STRING":
                value = str(value)
            elif input_type == "BOOLEAN":
                value = bool(value)
        except Exception as ex:
            errors.append(
                _err(
                    "invalid_input_type",
                    f"Failed to convert an input value to a {input_type} value",
                    f"{name}, {value}, {ex}",
                    {
                        "input_name": name,
                        "input_config": info,
                        "received_value": value,
                        "exception_message": str(ex),
                    },
                )
            )
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "min" in extra and value < extra["min"]:
                errors.append(
                    _err(
                        "value_smaller_than_min",
                        f"Value {value} smaller than min of {extra['min']}",
                        name,
                        {"input_name": name, "input_config": info, "received_value": value},
                    )
                )
                return
            if "max" in extra and value > extra["max"]:
                errors.append(
                    _err(
                        "value_bigger_than_max",
                        f"Value {value} bigger than max of {extra['max']}",
                        name,
                        {"input_name": name, "input_config": info, "received_value": value},
                    )
                )
                return
        if isinstance(input_type, list) or input_type == "COMBO":
            options = input_type if isinstance(input_type, list) else extra.get("options", [])
            multiselect = bool(extra.get("multiselect", False))
            values = value if multiselect and isinstance(value, list) else [value]
            if any(_unhashable_or_missing(v, options) for v in values):
                config: Any = info
                if len(options) > 20:
                    listing, config = f"(list of length {len(options)})", None
                else:
                    listing = str(options)
                errors.append(
                    _err(
                        "value_not_in_list",
                        "Value not in list",
                        f"{name}: '{value}' not in {listing}",
                        {"input_name": name, "input_config": config, "received_value": value},
                    )
                )


def _unhashable_or_missing(value: Any, options: list[Any]) -> bool:
    try:
        return value not in options
    except Exception:
        return True


def _type_name(ex: BaseException) -> str:
    module = type(ex).__module__
    return type(ex).__qualname__ if module == "builtins" else f"{module}.{type(ex).__qualname__}"


def validate_prompt(
    prompt: Any,
    catalog: Catalog,
    partial_targets: list[str] | None = None,
    input_exists: Callable[[str], bool] | None = None,
) -> Verdict:
    """Validate *prompt* like ComfyUI's `execution.validate_prompt`."""
    if not isinstance(prompt, dict):
        return Verdict(
            False,
            _err(
                "invalid_prompt",
                "Cannot execute because the prompt is not a JSON object.",
                f"got {type(prompt).__name__}",
            ),
        )
    outputs: list[str] = []
    for node_id, node in prompt.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return Verdict(
                False,
                _err(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    f"Node ID '#{node_id}'",
                ),
            )
        class_type = node["class_type"]
        if not isinstance(class_type, str) or catalog.get(class_type) is None:
            return Verdict(
                False,
                _err(
                    "invalid_prompt",
                    f"Cannot execute because node {class_type} does not exist.",
                    f"Node ID '#{node_id}'",
                ),
            )
        if catalog.is_output(class_type) and (partial_targets is None or node_id in partial_targets):
            outputs.append(node_id)
    if not outputs:
        return Verdict(False, _err("prompt_no_outputs", "Prompt has no outputs"))

    validator = _Validator(prompt, catalog, input_exists)
    good: list[str] = []
    output_errors: list[tuple[str, list[dict[str, Any]]]] = []
    node_errors: dict[str, Any] = {}
    for out in outputs:
        try:
            ok, reasons = validator.node(out)
        except Exception as ex:
            ok = False
            reasons = [
                _err(
                    "exception_during_validation",
                    "Exception when validating node",
                    str(ex),
                    {"exception_type": _type_name(ex), "traceback": [_FAKE_TB]},
                )
            ]
            validator.validated[out] = (False, reasons)
        if ok:
            good.append(out)
            continue
        output_errors.append((out, reasons))
        for node_id, (valid, node_reasons) in validator.validated.items():
            if valid or not node_reasons:
                continue
            if node_id not in node_errors:
                node_errors[node_id] = {
                    "errors": node_reasons,
                    "dependent_outputs": [],
                    "class_type": prompt[node_id]["class_type"],
                }
            if out not in node_errors[node_id]["dependent_outputs"]:
                node_errors[node_id]["dependent_outputs"].append(out)
    if not good:
        details = "\n".join(f"{e['message']}: {e['details']}" for _o, errs in output_errors for e in errs)
        return Verdict(
            False,
            _err("prompt_outputs_failed_validation", "Prompt outputs failed validation", details),
            [],
            node_errors,
        )
    return Verdict(True, None, good, node_errors)
