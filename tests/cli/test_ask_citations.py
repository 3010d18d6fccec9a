"""`chatls ask` prints a grounded (On Your Data) answer's references as a numbered list after the answer."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from tests.cli.support import chatls, clean_env

from chatls.ask_output import DeltaPrinter, reference_line
from chatls.emulator.fixture import ThreadedEmulator


def test_references_follow_the_answer_numbered_as_the_text_cites_them() -> None:
    out, err = io.StringIO(), io.StringIO()
    p = DeltaPrinter(out, err, live=False)
    cited = [
        SimpleNamespace(title="policy.md", url="https://x/policy", filepath=None, chunkId="0"),
        SimpleNamespace(title=None, url=None, filepath="faq/receipts.md", chunkId=None),
    ]
    p.delta(SimpleNamespace(conversationId="c", messageId="m", citations=cited))
    p.delta(SimpleNamespace(conversationId="c", messageId="m", citations=cited[:1]))  # only the first counts
    p.delta(SimpleNamespace(conversationId="c", messageId="m", content="30 days [doc1], receipt [doc2]."))
    p.finish("30 days [doc1], receipt [doc2].")
    assert out.getvalue() == (
        "30 days [doc1], receipt [doc2].\n"
        "\nReferences:\n"
        "[1] policy.md (chunk 0) — https://x/policy\n"
        "[2] faq/receipts.md\n"
    )
    assert err.getvalue() == ""


def test_a_reference_with_nothing_to_show_still_keeps_its_number() -> None:
    assert reference_line(3, {"title": None, "url": None}) == "[3] (untitled source)"
    assert reference_line(1, {"url": "https://u"}) == "[1] https://u"


CITED = [
    {"content": "Refunds within 30 days.", "title": "policy.md", "url": "https://x/policy", "chunk_id": "0"},
    {"content": "Keep the receipt.", "filepath": "faq/receipts.md", "chunk_id": "3"},
]
GROUNDED_PROFILE = """
defaultProfile = "grounded"

[[profiles]]
name = "grounded"
endpoint = "{url}"
deployment = "gpt-4o"
apiVersion = "v1"
apiKeyEnv = "CHATLS_TEST_KEY"

[[profiles.dataSources]]
type = "azure_search"
endpoint = "https://contoso.search.windows.net"
index = "policies"
authentication = {{ type = "api_key", keyEnv = "CHATLS_TEST_SEARCH_KEY" }}
"""


def test_a_grounded_answer_from_azure_ends_with_its_references(
    tmp_path: Path, emulator_thread: ThreadedEmulator
) -> None:
    """Through the real server and the emulator: the profile's dataSources are sent, the citations come
    back, and `chatls ask` lists them after the answer on stdout."""
    emulator_thread.set_deployment("gpt-4o", citations=CITED)
    config = tmp_path / "config.toml"
    config.write_text(GROUNDED_PROFILE.format(url=emulator_thread.url), encoding="utf-8")
    env = clean_env(
        tmp_path,
        CHATLS_CONFIG_FILE=str(config),
        CHATLS_TEST_KEY=emulator_thread.api_key,
        CHATLS_TEST_SEARCH_KEY="searchKey0",
    )
    done = chatls("ask", "What is the refund policy?", env=env)
    assert done.returncode == 0, done.stderr
    answer, _, references = done.stdout.partition("\nReferences:\n")
    assert answer.rstrip().endswith("[doc1] [doc2]"), done.stdout
    assert references == "[1] policy.md (chunk 0) — https://x/policy\n[2] faq/receipts.md (chunk 3)\n"
    (sent,) = emulator_thread.chat_requests("gpt-4o")
    assert sent["body"]["data_sources"][0]["parameters"]["index_name"] == "policies"
    assert "searchKey0" not in done.stdout + done.stderr
