"""Driving real VS Code from a test: code-server 4.139.1 (VS Code 1.139.1) serving a workspace on loopback
with the packaged .vsix installed, and a Node driver (tests/vscode/e2e/*.mjs) steering headless Chromium.

Shared by every code-server test (tests/vscode/test_*_e2e.py, test_review_flow.py); `VSIX` and the
`built_client` fixture come from tests/vscode/conftest.py::

    check_deps()
    env = code_server_env(tmp_path, os.environ["PATH"])
    write_user_settings(tmp_path / "cs" / "data")
    with code_server(tmp_path / "cs", workspace, VSIX, env) as url:
        result = run_driver("drive.mjs", built_client, artifacts, tmp_path / "result.json", CS_URL=url)
    steps = assert_steps(result, ("workbench", "chat"))

Needs vscode-client/scripts/install-e2e-deps.sh (Node 24 + code-server in .cache/vscode-e2e, chromium).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
E2E_CACHE = Path(os.environ.get("CHATLS_E2E_CACHE", REPO / ".cache" / "vscode-e2e"))
NODE24_BIN = E2E_CACHE / "node24" / "package" / "bin"
CODE_SERVER = E2E_CACHE / "cs" / "node_modules" / ".bin" / "code-server"
ARTIFACTS_ROOT = REPO / "test-artifacts" / "vscode"
"""Each test's screenshots, driver log and code-server log go to a folder of its own below this."""
DRIVERS = REPO / "tests" / "vscode" / "e2e"

CANARY_KEY = f"e2e-canary-{secrets.token_hex(12)}"
"""The API key the tests type into VS Code; searched for afterwards in every log and file (it must not be)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def code_server(workdir: Path, workspace: Path, vsix: Path, env: dict[str, str]) -> Iterator[str]:
    """code-server in its own process group on a free loopback port, without auth; killed as a group."""
    port = _free_port()
    config = workdir / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    common = [
        str(CODE_SERVER),
        "--config",
        str(config),
        "--user-data-dir",
        str(workdir / "data"),
        "--extensions-dir",
        str(workdir / "ext"),
    ]
    subprocess.run(
        [*common, "--install-extension", str(vsix)], env=env, check=True, capture_output=True, timeout=120
    )
    log_path = workdir / "code-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                *common,
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(workspace),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"code-server exited before it answered; see {log_path}")
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
            except OSError:
                return False
            return True

        try:
            wait_until(healthy, f"code-server to answer /healthz (see {log_path})", timeout=60, interval=0.2)
            yield url
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def check_deps() -> None:
    """Fail (not skip) when Node 24 or code-server is missing: CI installs them."""
    missing = [str(p) for p in (NODE24_BIN / "node", CODE_SERVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"code-server e2e deps missing ({', '.join(missing)}): "
            "run vscode-client/scripts/install-e2e-deps.sh"
        )


def write_user_settings(data_dir: Path) -> None:
    """The VS Code user settings every run starts from: no welcome page, tips, AI chat or trust prompt."""
    user = data_dir / "User"
    user.mkdir(parents=True, exist_ok=True)
    (user / "settings.json").write_text(
        json.dumps(
            {
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "chat.disableAIFeatures": True,
                "security.workspace.trust.enabled": False,
                "extensions.autoCheckUpdates": False,
            }
        )
    )


def fresh_dir(path: Path) -> Path:
    """`path`, emptied: each run's artifacts replace the last run's."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def code_server_env(tmp_path: Path, path: str) -> dict[str, str]:
    """The environment code-server (and so the extension host and the server) runs in: no Azure settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_OPENAI", "OPENAI_"))}
    env.update(PATH=f"{NODE24_BIN}:{path}", XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    return env


def run_driver(script: str, client: Path, artifacts: Path, result_file: Path, **extra: str) -> dict[str, Any]:
    """Run the Node driver tests/vscode/e2e/`script`; the result it wrote, with its stdout as `log`."""
    env = {
        **os.environ,
        "ARTIFACTS": str(artifacts),
        "RESULT": str(result_file),
        "CLIENT_DIR": str(client),
        **extra,
    }
    run = subprocess.run(
        ["node", str(DRIVERS / script)], env=env, capture_output=True, text=True, timeout=400
    )
    (artifacts / "driver.log").write_text(run.stdout + run.stderr)
    assert result_file.exists(), run.stdout + run.stderr
    result: dict[str, Any] = json.loads(result_file.read_text())
    result["log"] = run.stdout
    return result


def assert_steps(result: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The driver's steps by name, after asserting each of `names` passed (the whole result on failure)."""
    steps: dict[str, Any] = result["steps"]
    for name in names:
        report = f"step {name} failed:\n{json.dumps(result, indent=2)}"
        assert steps.get(name, {}).get("ok"), report
    return steps


def is_secret_store(path: Path) -> bool:
    """VS Code's own encrypted secret storage database is where the key is supposed to be."""
    return path.name.startswith("state.vscdb")
