#!/usr/bin/env bash
# Seed tiktoken's cache with the o200k_base and cl100k_base encoding files, so token counting is exact
# offline (tiktoken itself would download them from a blob store at first use, which fails without network).
#
# The files come from the llama-index-core wheel on PyPI (MIT), which ships them under tiktoken's own cache
# names; tiktoken checks their sha256 when it loads them, and so does this script.
#
# Target: $TIKTOKEN_CACHE_DIR if set, else <platformdirs user cache dir for "chatls">/tiktoken, which is where
# `chatls serve` looks by default. Idempotent: does nothing when both files are already there and intact.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
wheel_version=0.14.25

target=${TIKTOKEN_CACHE_DIR:-$("$python" -c 'import platformdirs, os; print(os.path.join(platformdirs.user_cache_dir("chatls"), "tiktoken"))')}

# sha1(download URL) -> sha256(content), as tiktoken names and checks them.
check() {
  "$python" - "$1" <<'PY'
import hashlib, pathlib, sys
files = {
    "fb374d419588a4632f3f557e76b4b70aebbca790": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",  # o200k_base
    "9b5ad71b2ce5302211f9c61530b329a4922fc6a4": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",  # cl100k_base
}
root = pathlib.Path(sys.argv[1])
bad = [name for name, digest in files.items()
       if not (root / name).is_file() or hashlib.sha256((root / name).read_bytes()).hexdigest() != digest]
sys.exit(1 if bad else 0)
PY
}

if check "$target"; then
  echo "tiktoken cache already seeded: $target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download -q --no-deps --only-binary=:all: -d "$work" "llama-index-core==$wheel_version"
mkdir -p "$target"
"$python" - "$work"/llama_index_core-*.whl "$target" <<'PY'
import pathlib, sys, zipfile
wheel, target = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "llama_index/core/_static/tiktoken_cache/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            (target / name[len(prefix):]).write_bytes(archive.read(name))
PY
if ! check "$target"; then
  echo "fetch-tiktoken-cache: the files extracted to $target do not match tiktoken's hashes" >&2
  exit 1
fi
echo "tiktoken cache seeded: $target"
