#!/usr/bin/env bash
# Everything the test suite needs beyond `pip install -e '.[test]'` and the Debian packages:
# tiktoken's encoding files (tiktoken cannot download them here), the VS Code client build and its .vsix,
# and code-server for the real-VS-Code tests. Idempotent: a second run reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-tiktoken-cache.sh
vscode-client/scripts/build.sh
vscode-client/scripts/install-e2e-deps.sh
