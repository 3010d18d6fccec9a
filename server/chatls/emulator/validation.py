"""Request-body validation against the official Azure OpenAPI specs (``data/specs``).

Dated api-versions are checked against the 2024-12-01-preview spec (the newest verbatim dated spec we
have), v1 routes against the v1 spec. Validators are built once per spec and cached. Known spec lag
is patched in memory: ``reasoning_effort`` also accepts ``minimal``, ``none`` and ``xhigh``, and a
``nullable`` next to ``oneOf``/``anyOf``/``allOf`` (no ``type``) really admits ``null``.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from importlib import resources
from typing import Any

from openapi_schema_validator import OAS30Validator

from chatls.emulator import errors

# jsonschema ships no type hints; its best_match picks the most specific error of a oneOf failure.
_best_match: Any = importlib.import_module("jsonschema.exceptions").best_match

DATED_SPEC = "inference-2024-12-01-preview"
V1_SPEC = "v1-2026-02-02"
_REQUEST_SCHEMA = {DATED_SPEC: "createChatCompletionRequest", V1_SPEC: "AzureCreateChatCompletionRequest"}
EXTRA_REASONING_EFFORTS = ("minimal", "none", "xhigh")


def validate_request(body: Any, *, v1: bool) -> None:
    """Raise Azure's 400 for the first schema violation of a chat-completions body."""
    validator = _validator(V1_SPEC if v1 else DATED_SPEC)
    error = _best_match(validator.iter_errors(body))
    if error is not None:
        raise _to_emulator_error(error)


def _to_emulator_error(error: Any) -> errors.EmulatorError:
    path = ".".join(str(p) for p in error.absolute_path)
    message = error.message
    if len(message) > 300:
        message = message[:297] + "..."
    return errors.schema_invalid(message, path)


@cache
def _validator(spec_name: str) -> OAS30Validator:
    text = resources.files("chatls.emulator").joinpath(f"data/specs/{spec_name}.json").read_text("utf-8")
    components = json.loads(text)["components"]
    _extend_reasoning_effort(components["schemas"], spec_name)
    _admit_null_beside_combinators(components)
    schema = {"$ref": f"#/components/schemas/{_REQUEST_SCHEMA[spec_name]}", "components": components}
    return OAS30Validator(schema)


def _extend_reasoning_effort(schemas: dict[str, Any], spec_name: str) -> None:
    if spec_name == DATED_SPEC:
        effort = schemas["createChatCompletionRequest"]["allOf"][1]["properties"]["reasoning_effort"]
    else:
        effort = schemas["OpenAI.ReasoningEffort"]
    effort["enum"] = [*effort["enum"], *(v for v in EXTRA_REASONING_EFFORTS if v not in effort["enum"])]


def _admit_null_beside_combinators(node: Any) -> None:
    """OAS30Validator ignores ``nullable`` without ``type``; make such schemas accept ``null`` explicitly."""
    if isinstance(node, dict):
        for value in node.values():
            _admit_null_beside_combinators(value)
        if node.get("nullable") is True and "type" not in node:
            for combinator in ("oneOf", "anyOf"):
                if combinator in node:
                    node[combinator] = [*node[combinator], {"enum": [None]}]
                    return
            if "allOf" in node or "$ref" in node:
                inner = {k: node.pop(k) for k in ("allOf", "$ref") if k in node}
                node["anyOf"] = [inner, {"enum": [None]}]
    elif isinstance(node, list):
        for item in node:
            _admit_null_beside_combinators(item)


def warm_up() -> None:
    """Build both validators now (the first request would otherwise pay for it)."""
    _validator(DATED_SPEC)
    _validator(V1_SPEC)
