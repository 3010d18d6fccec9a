#!/usr/bin/env bash
# Build the VS Code extension from a clean checkout: install pinned npm deps, type-check, lint, bundle,
# build the chatls wheel that ships inside the .vsix, package the .vsix.
# Usage: vscode-client/scripts/build.sh [--skip-install]
# Env: PYTHON (default: <repo>/.venv/bin/python, else python3) builds the wheel.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
cd "$HERE"
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi

if [[ "${1:-}" != "--skip-install" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "build: tsc --noEmit (extension, webview, tests)" >&2
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p tsconfig.webview.json
npx tsc -p tsconfig.test.json          # compiled unit tests + pure modules -> out/
echo "build: eslint" >&2
npx eslint .
echo "build: esbuild" >&2
rm -rf dist
node scripts/bundle.mjs --production
echo "build: chatls wheel -> bundled/" >&2
rm -rf bundled && mkdir -p bundled
"$PYTHON" -m pip wheel --no-deps --disable-pip-version-check --quiet -w bundled "$REPO"
ls bundled/chatls-*.whl >/dev/null
echo "build: vsce package" >&2
npx vsce package --no-dependencies --no-rewrite-relative-links --out chatls-0.1.0.vsix
echo "build: $(ls -la chatls-0.1.0.vsix)" >&2
