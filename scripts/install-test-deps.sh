#!/usr/bin/env bash
# Everything the test suite needs beyond `pip install -e '.[test]'` and the Debian packages:
# tiktoken's encoding files (tiktoken cannot download them here), the VS Code client build and its .vsix,
# and code-server for the real-VS-Code tests. Idempotent: a second run reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-test-deps: the VS Code client builds with Node.js 20 or newer and npm; found: $(node --version 2>/dev/null || echo none)." >&2
  echo "Install Node.js 20+ (e.g. from nodejs.org or NodeSource), then run this again." >&2
  exit 1
fi
scripts/fetch-tiktoken-cache.sh
vscode-client/scripts/build.sh
vscode-client/scripts/install-e2e-deps.sh
