"""Model knowledge end to end: the user's models file, inferred and user rows in `chatls/models`, the
retirement warning once per session, and an inferred model with a large reply budget saying hello."""

from __future__ import annotations

from pathlib import Path

from pytest_lsp import LanguageClient
from tests.support.lsp import SPEC_WARNINGS_ARE_ERRORS, OpenSession, chat, init_options, profile, request
from tests.support.waiting import wait_until_async

from chatls.emulator.fixture import RunningEmulator

pytestmark = SPEC_WARNINGS_ARE_ERRORS

MODELS_TOML = """
[models."contoso-reasoner"]
like = "gpt-5.4-mini"
context_window = 200000
max_input_tokens = 150000

[models."typo"]
like = "gpt-5"
contxt_window = 1000
"""


async def messages_containing(client: LanguageClient, text: str) -> list[str]:
    """showMessage texts containing `text`, once one arrived."""
    return await wait_until_async(
        lambda: [m.message for m in client.messages if text in m.message],
        f"a showMessage containing {text!r}",
        last_seen=lambda: [m.message for m in client.messages],
    )


async def test_models_show_user_inferred_and_retiring_rows_and_warn_once(
    session: OpenSession, emulator: RunningEmulator, state_dir: Path, tmp_path: Path
) -> None:
    models_file = tmp_path / "models.toml"
    models_file.write_text(MODELS_TOML, encoding="utf-8")
    profiles = [
        profile(emulator.url, name="mine", deployment="contoso-reasoner", api_version="v1"),
        profile(
            emulator.url,
            name="future",
            deployment="gpt-5",
            model="gpt-5.9-mini",
            api_version="v1",
            maxCompletionTokens=64000,
        ),
        profile(emulator.url, name="old", deployment="o1", api_version="2024-12-01-preview"),
    ]
    options = init_options(emulator.url, state_dir=state_dir, profiles=profiles, modelsFile=str(models_file))
    options["defaultProfile"] = "future"
    async with session(init_options=options) as client:
        first = await request(client, "chatls/models", {})
        second = await request(client, "chatls/models", {})
        bad_key = await messages_containing(client, "contxt_window")
        retired = await messages_containing(client, "Profile 'old' uses o1")
        hello = await chat(client, "Say hello")
    # read after shutdown was answered: a repeated warning, sent before that answer, would be here
    all_messages = [m.message for m in client.messages]

    assert first == second
    mine, future, old = (entry["capabilities"] for entry in first)
    assert (mine["family"], mine["resolution"], mine["inputLimit"]) == ("contoso-reasoner", "user", 150_000)
    assert (future["family"], future["resolution"]) == ("gpt-5.4-mini", "inferred")
    assert future["details"]["inferredFor"] == "gpt-5.9-mini"
    assert (old["retires"], old["replacement"]) == ("2026-10-21", "gpt-5.6-sol")
    assert bad_key == [f'ChatLS models file {models_file}: [models."typo"].contxt_window: unknown key']
    assert len(retired) == 1 and "gpt-5.6-sol" in retired[0]
    assert sum("contxt_window" in m for m in all_messages) == 1
    assert sum("Profile 'old'" in m for m in all_messages) == 1
    assert hello["content"] == "Echo from gpt-5: Say hello"  # 64,000 reserved no longer starves the prompt
    (sent,) = [r for r in await emulator.requests("gpt-5") if r["path"].endswith("/responses")]
    assert sent["body"]["max_output_tokens"] == 64000  # gpt-5.4-mini's rules: Responses first
