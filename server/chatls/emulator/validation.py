"""Request-body validation against the official Azure OpenAPI specs (``data/specs``).

Each api-version is checked against the nearest spec we have that is not newer than it: dated versions
before 2025-03-01-preview against the verbatim 2024-12-01-preview spec (there is none older here),
2025-03-01-preview and later against the 2025-03-01-preview copy, and v1 routes against the v1 spec.
Validators are built once per spec and cached.

Known spec lag is patched in memory: ``reasoning_effort`` also accepts ``minimal``, ``none`` and
``xhigh``, and a ``nullable`` next to ``oneOf``/``anyOf``/``allOf`` (no ``type``) really admits ``null``.

Speed: local ``$ref``s are inlined once, and a message is validated against the schema of its own role
(the specs' ``oneOf`` / discriminator would try all six message schemas per message). That keeps
validation of a typical request well under a millisecond; the errors are those the ``oneOf`` would find.
"""

from __future__ import annotations

import copy
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
NEWER_DATED_SPEC = "inference-2025-03-01-preview"
NEWER_DATED_SINCE = "2025-03-01-preview"
V1_SPEC = "v1-2026-02-02"
_REQUEST_SCHEMA = {
    DATED_SPEC: "createChatCompletionRequest",
    NEWER_DATED_SPEC: "createChatCompletionRequest",
    V1_SPEC: "AzureCreateChatCompletionRequest",
}
_MESSAGE_SCHEMA = {
    DATED_SPEC: "chatCompletionRequestMessage",
    NEWER_DATED_SPEC: "chatCompletionRequestMessage",
    V1_SPEC: "OpenAI.ChatCompletionRequestMessage",
}
EXTRA_REASONING_EFFORTS = ("minimal", "none", "xhigh", "max")


class SpecValidator:
    """The request schema without per-message checks, plus one validator per message role."""

    def __init__(self, spec_name: str) -> None:
        text = resources.files("chatls.emulator").joinpath(f"data/specs/{spec_name}.json").read_text("utf-8")
        components = json.loads(text)["components"]
        schemas = components["schemas"]
        _extend_reasoning_effort(schemas, spec_name)
        _admit_null_beside_combinators(components)
        self.roles = _role_schemas(schemas, _MESSAGE_SCHEMA[spec_name])
        self._by_role = {role: _compile(components, name) for role, name in self.roles.items()}
        shell = copy.deepcopy(components)
        shell["schemas"][_MESSAGE_SCHEMA[spec_name]] = {"type": "object"}
        self._shell = _compile(shell, _REQUEST_SCHEMA[spec_name])

    def first_error(self, body: Any) -> tuple[str, str] | None:
        """``(message, dotted path)`` of the first violation, or ``None``."""
        error = _best_match(self._shell.iter_errors(body))
        if error is not None:
            return _describe(error, "")
        for index, message in enumerate(body.get("messages") or ()):
            where = f"messages.{index}"
            role = message.get("role")
            validator = self._by_role.get(role) if isinstance(role, str) else None
            if validator is None:
                known = ", ".join(repr(r) for r in self.roles)
                return f"{json.dumps(role)} is not one of [{known}]", f"{where}.role"
            error = _best_match(validator.iter_errors(message))
            if error is not None:
                return _describe(error, where)
        return None


def spec_for(api_version: str, *, v1: bool) -> str:
    """The spec a request on this route and api-version is checked against."""
    if v1:
        return V1_SPEC
    return NEWER_DATED_SPEC if api_version[:10] >= NEWER_DATED_SINCE[:10] else DATED_SPEC


def validate_request(body: Any, *, api_version: str, v1: bool) -> None:
    """Raise Azure's 400 for the first schema violation of a chat-completions body."""
    problem = _validator(spec_for(api_version, v1=v1)).first_error(body)
    if problem is not None:
        raise errors.schema_invalid(*problem)


def _describe(error: Any, prefix: str) -> tuple[str, str]:
    path = ".".join([p for p in (prefix, *(str(part) for part in error.absolute_path)) if p])
    message: str = error.message
    if len(message) > 300:
        message = message[:297] + "..."
    return message, path


@cache
def _validator(spec_name: str) -> SpecValidator:
    return SpecValidator(spec_name)


def _compile(components: dict[str, Any], schema_name: str) -> OAS30Validator:
    """A validator for one schema with its ``$ref``s inlined (resolving them per request is the slow part)."""
    schema = _inline(components["schemas"], {"$ref": f"{_LOCAL}{schema_name}"}, ())
    return OAS30Validator({**schema, "components": components})  # components: for refs left by recursion


_LOCAL = "#/components/schemas/"


def _inline(schemas: dict[str, Any], node: Any, seen: tuple[str, ...]) -> Any:
    """Replace local ``$ref``s by their targets (3.0 ignores ``$ref`` siblings), except recursive ones."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_LOCAL):
            name = ref[len(_LOCAL) :]
            return node if name in seen else _inline(schemas, schemas[name], (*seen, name))
        return {key: _inline(schemas, value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(schemas, item, seen) for item in node]
    return node


def _role_schemas(schemas: dict[str, Any], message_schema: str) -> dict[str, str]:
    """Role → schema name, from the discriminator (v1) or the ``oneOf`` members' role enums (dated)."""
    union = schemas[message_schema]
    if "discriminator" in union:
        mapping = union["discriminator"]["mapping"]
        return {role: ref.rsplit("/", 1)[1] for role, ref in mapping.items()}
    roles: dict[str, str] = {}
    for member in union["oneOf"]:
        name = member["$ref"].rsplit("/", 1)[1]
        for role in schemas[name]["properties"]["role"]["enum"]:
            roles[role] = name
    return roles


def _extend_reasoning_effort(schemas: dict[str, Any], spec_name: str) -> None:
    if spec_name in (DATED_SPEC, NEWER_DATED_SPEC):
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


RESPONSES_SCHEMA = "AzureCreateResponse"
RESPONSES_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


class ResponsesValidator:
    """SV1's ``AzureCreateResponse`` with its known lag patched (responses-api.md §7 "Spec lag").

    ``input`` items are checked by type only: SV1 types message content as parts, while Azure's own
    examples send strings (responses-api.md §3); efforts beyond ``high`` and ``text.verbosity`` are
    admitted because SV1 lacks them.
    """

    ITEM_TYPES = ("message", "function_call", "function_call_output", "reasoning", "item_reference")

    def __init__(self) -> None:
        text = resources.files("chatls.emulator").joinpath(f"data/specs/{V1_SPEC}.json").read_text("utf-8")
        components = json.loads(text)["components"]
        schemas = components["schemas"]
        effort = schemas["OpenAI.ReasoningEffort"]
        effort["enum"] = [*effort["enum"], *(v for v in RESPONSES_EFFORTS if v not in effort["enum"])]
        _admit_null_beside_combinators(components)
        request = copy.deepcopy(schemas[RESPONSES_SCHEMA])
        request["properties"]["input"] = {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]
        }
        schemas["_EmulatorCreateResponse"] = request
        self._shell = _compile(components, "_EmulatorCreateResponse")

    def first_error(self, body: Any) -> tuple[str, str] | None:
        error = _best_match(self._shell.iter_errors(body))
        if error is not None:
            return _describe(error, "")
        items = body.get("input")
        for index, item in enumerate(items if isinstance(items, list) else ()):
            kind = item.get("type", "message")
            if kind not in self.ITEM_TYPES:
                return f"{json.dumps(kind)} is not one of {list(self.ITEM_TYPES)}", f"input.{index}.type"
            if kind == "message" and item.get("role") not in ("user", "assistant", "system", "developer"):
                return f"{json.dumps(item.get('role'))} is not a valid role", f"input.{index}.role"
            if kind in ("function_call", "function_call_output") and not isinstance(item.get("call_id"), str):
                return "'call_id' is a required property", f"input.{index}"
        return None


@cache
def _responses_validator() -> ResponsesValidator:
    return ResponsesValidator()


def validate_responses_request(body: Any) -> None:
    """Raise Azure's 400 for the first schema violation of a /responses body."""
    problem = _responses_validator().first_error(body)
    if problem is not None:
        raise errors.schema_invalid(*problem)
