"""On Your Data in the Neovim and Emacs helpers (issue 15): a grounded answer is followed by its numbered
references (title, URL or file path), and the conversation reopened from the store shows them again.
Headless Neovim 0.7 and Emacs 28 + eglot 1.9 against `chatls serve` and the emulator scripting citations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.editors.harness import KEY_ENV, EditorRun, emacs_argv, nvim_argv, run_editor

from chatls.emulator.fixture import emulator_in_thread

pytestmark = pytest.mark.editors

EDITORS = Path(__file__).resolve().parents[2] / "editors"
DRIVERS = {
    "nvim": lambda: (nvim_argv("nvim_citations.lua"), EDITORS / "nvim"),
    "emacs": lambda: (emacs_argv("eglot_citations.el"), EDITORS / "emacs"),
}
SEARCH_ENV = "CHATLS_E2E_SEARCH_KEY"
PROMPT = "What is the refund policy?"
CITED = [
    {"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/policy", "chunk_id": "0"},
    {"content": "Keep the receipt.", "filepath": "faq/receipts.md", "chunk_id": "3"},
]
REFERENCES = "References:\n[1] policy.md (chunk 0) — https://x/policy\n[2] faq/receipts.md (chunk 3)"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with emulator_in_thread() as emu:
        emu.set_deployment("gpt-4o", citations=CITED)
        yield emu


def grounded_options(url: str, state: Path) -> dict[str, Any]:
    source = {
        "type": "azure_search",
        "endpoint": "https://contoso.search.windows.net",
        "index": "policies",
        "authentication": {"type": "api_key", "keyEnv": SEARCH_ENV},
    }
    profile = {
        "name": "grounded", "endpoint": url, "deployment": "gpt-4o", "apiVersion": "v1", "auth": "apiKey",
        "apiKeyEnv": KEY_ENV, "dataSources": [source],
    }  # fmt: skip
    return {"profiles": [profile], "defaultProfile": "grounded", "stateDir": str(state)}


@pytest.fixture(scope="module", params=sorted(DRIVERS))
def run(request: pytest.FixtureRequest, emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> EditorRun:
    name = request.param
    base = tmp_path_factory.mktemp(f"{name}-citations")
    argv, plugin = DRIVERS[name]()
    return run_editor(
        argv, base, emulator, {SEARCH_ENV: "searchKey0"},
        pluginDir=str(plugin), citations={"prompt": PROMPT},
        initOptions=grounded_options(emulator.url, base / "state"),
    )  # fmt: skip


def test_the_answer_is_followed_by_its_numbered_references(run: EditorRun) -> None:
    assert run.errors() == {}, run.log
    result = run.get("result")
    assert [c.get("title") for c in result["citations"]] == ["policy.md", None]  # null: gone in Lua
    transcript = run.get("transcript")
    answer_at = transcript.index(result["content"])
    assert transcript.index(REFERENCES) > answer_at, transcript
    (sent,) = [r for r in run.requests if PROMPT in str(r["body"])]
    assert sent["body"]["data_sources"][0]["parameters"]["index_name"] == "policies"


def test_the_reopened_conversation_shows_the_references_again(run: EditorRun) -> None:
    reopened = run.get("reopened")
    assert PROMPT in reopened
    assert reopened.index(REFERENCES) > reopened.index(PROMPT), reopened
    assert reopened.count("References:") == 1  # the question has none
