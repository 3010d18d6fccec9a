"""Azure OpenAI On Your Data (``data_sources`` on Chat Completions; issue 15 item 4, emulator side).

Each entry is validated against the 2024-12-01-preview spec's schema for its ``type`` (the union's
discriminator mapping, e.g. ``azure_search`` → ``azureSearchChatExtensionConfiguration``) on every
route. Only gpt-4o and gpt-4o-mini take them (families' ``data_sources``); the refusal for the others is
the captured ``unsupported_parameter`` wording with ``param: data_sources`` (inferred, no capture).
Answers carry scripted citations and an intent in ``message.context`` (non-streamed) or in the first
delta (streamed), and the request log never keeps a data source's key.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from openapi_schema_validator import OAS30Validator

from chatls.emulator import errors
from chatls.emulator.config import Deployment
from chatls.emulator.validation import DATED_SPEC, _best_match, _compile, _describe

REDACTED = "<redacted>"
_SECRET_FIELDS = ("key", "access_token", "encoded_api_key", "client_secret", "password")


@cache
def _validators() -> dict[str, OAS30Validator]:
    """Data-source type → validator of its configuration schema (2024-12-01-preview)."""
    text = resources.files("chatls.emulator").joinpath(f"data/specs/{DATED_SPEC}.json").read_text("utf-8")
    components = json.loads(text)["components"]
    mapping = components["schemas"]["azureChatExtensionConfiguration"]["discriminator"]["mapping"]
    # The members refer back to the union through allOf; without the discriminator it only asks for type.
    union = copy.deepcopy(components["schemas"]["azureChatExtensionConfiguration"])
    union.pop("discriminator", None)
    components["schemas"]["azureChatExtensionConfiguration"] = union
    _pin_discriminator_values(components["schemas"])
    return {kind: _compile(components, ref.rsplit("/", 1)[1]) for kind, ref in mapping.items()}


def _pin_discriminator_values(schemas: dict[str, Any]) -> None:
    """Members of a discriminated union (authentication options, vectorization sources) only match their own
    ``type``: without it every member of the ``oneOf`` matches and nothing validates."""
    for schema in schemas.values():
        value = schema.get("x-ms-discriminator-value") if isinstance(schema, dict) else None
        if isinstance(value, str) and isinstance(schema.get("allOf"), list):
            schema["allOf"].append({"properties": {"type": {"enum": [value]}}})


def _scrubbed(message: str, body: dict[str, Any]) -> str:
    """A validation message never repeats a data source's credential."""
    for secret in _secrets(body):
        message = message.replace(secret, REDACTED)
    return message


def _secrets(body: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for source in body.get("data_sources") or ():
        parameters = source.get("parameters") if isinstance(source, dict) else None
        auth = parameters.get("authentication") if isinstance(parameters, dict) else None
        for holder in (parameters, auth):
            if isinstance(holder, dict):
                found += [
                    str(holder[n]) for n in _SECRET_FIELDS if isinstance(holder.get(n), str) and holder[n]
                ]
    return found


def check(body: dict[str, Any], deployment: Deployment) -> None:
    """Validate ``data_sources`` and refuse it for models that do not take it."""
    sources = body.get("data_sources")
    if sources is None:
        return
    if not deployment.family.data_sources and "data_sources" not in deployment.allow_parameters:
        raise errors.parameter_unsupported("data_sources")
    if not isinstance(sources, list) or not sources:
        raise errors.schema_invalid(f"{json.dumps(sources)[:100]} is not a non-empty array", "data_sources")
    validators = _validators()
    for index, source in enumerate(sources):
        where = f"data_sources.{index}"
        kind = source.get("type") if isinstance(source, dict) else None
        validator = validators.get(kind) if isinstance(kind, str) else None
        if validator is None:
            known = ", ".join(repr(k) for k in validators)
            raise errors.schema_invalid(f"{json.dumps(kind)} is not one of [{known}]", f"{where}.type")
        problem = _best_match(validator.iter_errors(source))
        if problem is not None:
            message, path = _describe(problem, where)
            raise errors.schema_invalid(_scrubbed(message, body), path)


def redacted(body: dict[str, Any]) -> dict[str, Any]:
    """The body as logged: every data source's credentials replaced."""
    if not isinstance(body.get("data_sources"), list):
        return body
    safe = copy.deepcopy(body)
    for source in safe["data_sources"]:
        parameters = source.get("parameters") if isinstance(source, dict) else None
        for holder in (
            parameters,
            parameters.get("authentication") if isinstance(parameters, dict) else None,
        ):
            if isinstance(holder, dict):
                for name in _SECRET_FIELDS:
                    if name in holder:
                        holder[name] = REDACTED
    return safe


def context_for(prompt: str, deployment: Deployment) -> dict[str, Any]:
    """Scripted grounding: the deployment's citations (or two derived from the question) and the intent."""
    citations = [dict(c) for c in deployment.citations] or [
        {
            "content": f"Passage {n} about: {prompt[:80]}",
            "title": f"doc{n}.md",
            "url": f"https://emulator.search.windows.net/docs/doc{n}.md",
            "filepath": f"doc{n}.md",
            "chunk_id": str(n - 1),
        }
        for n in (1, 2)
    ]
    return {"citations": citations, "intent": json.dumps([prompt[:200]])}


def cite(text: str, context: dict[str, Any]) -> str:
    """The answer with Azure's ``[docN]`` reference markers, one per citation."""
    markers = "".join(f" [doc{n}]" for n in range(1, len(context["citations"]) + 1))
    return text + markers
