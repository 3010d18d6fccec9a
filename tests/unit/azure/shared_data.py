"""Helpers for the adapter's tests: the official specs and the verbatim Azure error bodies.

The specs live in ../shared/specs next to the repository (CI checks it out there too). They lag the
service in one place that matters here: `reasoning_effort` is `low|medium|high` only, while Azure also
takes `minimal` (gpt-5) and `none` (gpt-5.1). That enum is extended in memory, as the specs README says;
`verbosity` needs nothing (the request schemas allow extra properties). See docs/adapter.md.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs"
EXTRA_EFFORTS = ["minimal", "none", "xhigh"]
Validate = Callable[[dict[str, Any], str], list[str]]


@cache
def _validator(spec_file: str, request_schema: str) -> OAS30Validator:
    spec = json.loads((SPECS / spec_file).read_text(encoding="utf-8"))
    components = copy.deepcopy(spec["components"])
    schemas = components["schemas"]
    for name in ("ReasoningEffort", "OpenAI.ReasoningEffort"):
        if name in schemas:
            schemas[name]["enum"] = [*schemas[name]["enum"], *EXTRA_EFFORTS]
    if request_schema == "createChatCompletionRequest":
        properties = schemas[request_schema]["allOf"][1]["properties"]
        properties["reasoning_effort"]["enum"] = [*properties["reasoning_effort"]["enum"], *EXTRA_EFFORTS]
    return OAS30Validator({"$ref": f"#/components/schemas/{request_schema}", "components": components})


def spec_for(api_version: str) -> tuple[str, str]:
    """The newest spec that describes `api_version` (older dated versions are checked against 2024-12-01)."""
    if api_version == "v1":
        return "azure-openai-v1.AI-Gateway-copy-2026-02-02.json", "AzureCreateChatCompletionRequest"
    if api_version[:10] >= "2025-03-01":
        return "azure-openai-inference-2025-03-01-preview.AI-Gateway-copy.json", "createChatCompletionRequest"
    return "azure-openai-inference-2024-12-01-preview.json", "createChatCompletionRequest"


def schema_errors(body: dict[str, Any], api_version: str) -> list[str]:
    validator = _validator(*spec_for(api_version))
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]


ERRORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "azure" / "errors"


def azure_error(name: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, the `error` object) of a verbatim Azure error body in ../shared/azure/errors."""
    data = json.loads((ERRORS / f"{name}.json").read_text(encoding="utf-8"))
    return data["status"], data["body"]["error"]


SAMPLES = ERRORS.parent / "samples"


def sample_json(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sample_stream(name: str) -> list[Any]:
    """The JSON payloads of an SSE sample, without the [DONE] terminator."""
    events = (SAMPLES / name).read_text(encoding="utf-8").replace("\r\n", "\n").split("\n\n")
    payloads = [event.removeprefix("data: ") for event in events if event.strip()]
    return [json.loads(payload) for payload in payloads if payload != "[DONE]"]


def responses_schema_errors(body: dict[str, Any], api_version: str) -> list[str]:
    """Schema errors of a Responses create body: the v1 spec's AzureCreateResponse, or 2025-03-01-preview's
    createResponse for dated versions."""
    if api_version == "v1":
        validator = _validator("azure-openai-v1.AI-Gateway-copy-2026-02-02.json", "AzureCreateResponse")
    else:
        validator = _validator(
            "azure-openai-inference-2025-03-01-preview.AI-Gateway-copy.json", "createResponse"
        )
    return [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]
