# Shared settings for the project's provisioning scripts. Sourced, not run.
# Everything built here lives outside the repository, keyed by version, so a
# second run reuses it and a version bump rebuilds only what changed.

set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$HACK_DIR")
CKPT_CACHE_DIR=${CKPT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ckpt-operator}
# shellcheck source=versions.env
. "$HACK_DIR/versions.env"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Short content hash of files, so that a cache key changes with its inputs.
inputs_hash() { cat "$@" | sha256sum | cut -c1-12; }

# Runs a build into a temporary directory and moves it into place only when it
# finished, so that an interrupted build never leaves a half cache behind.
publish_dir() {
  local tmp=$1 dest=$2
  rm -rf "$dest.old"
  [ -e "$dest" ] && mv "$dest" "$dest.old"
  mv "$tmp" "$dest"
  rm -rf "$dest.old"
}
