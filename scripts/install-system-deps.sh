#!/usr/bin/env bash
# Debian packages the full test suite drives: real editors (Neovim, Emacs + eglot), Chromium for the webview
# and code-server tests, and the headers and compilers code-server's native modules build with.
set -euo pipefail
packages=(python3-venv neovim emacs-nox elpa-eglot chromium libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config make g++ git)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
