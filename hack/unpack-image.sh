#!/usr/bin/env bash
# Unpacks an OCI image layout into a root filesystem, the way a container
# runtime would: layers in order, each checked against its digest. Prints
# the directory. The demo runs the operator from these, so that what it runs
# is what the image ships.
#
#   unpack-image.sh LAYOUT_DIR
#
# Each layer is extracted once, into $CKPT_CACHE_DIR/unpacked/layers/DIGEST;
# an image's root filesystem ($CKPT_CACHE_DIR/unpacked/MANIFEST/rootfs) is
# hard links to those, so a source change costs its small application layer,
# not another copy of Debian and Node.js. Only the newest few root
# filesystems are kept, and the layers they use. Nothing may write to them:
# the demo mounts them read-only.
. "$(dirname "$0")/lib.sh"

layout=${1:?usage: unpack-image.sh LAYOUT_DIR}
keep=4
node="$REPO_DIR/node_modules/.bin/node"
# index.json -> manifest -> layer digests, one per line (the first manifest).
read_layers() {
  "$node" -e '
    const fs = require("node:fs"), path = require("node:path");
    const dir = process.argv[1];
    const blob = (d) => JSON.parse(fs.readFileSync(path.join(dir, "blobs", ...d.split(":"))));
    const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json")));
    const m = index.manifests?.[0];
    if (!m) throw new Error(`${dir}: no manifest in index.json`);
    console.log(m.digest);
    for (const l of blob(m.digest).layers) {
      if (!/\.tar$/.test(l.mediaType)) throw new Error(`layer ${l.digest}: ${l.mediaType} is not an uncompressed tar`);
      console.log(l.digest);
    }' "$layout"
}
# Keeps the newest root filesystems (by last use) and the layers they use.
prune() {
  local old l f
  mapfile -t old < <(find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name layers ! -name '.build.*' -printf '%T@ %p\n' | sort -rn | tail -n +$((keep + 1)) | cut -d' ' -f2-)
  [ ${#old[@]} -eq 0 ] || rm -rf "${old[@]}"
  declare -A used=()
  for f in "$cache"/*/layers; do while read -r l; do used[$l]=1; done < "$f"; done
  for l in "$cache"/layers/*/; do
    l=${l%/}
    [ -n "${used[$l]:-}" ] || rm -rf "$l" "$l.complete"
  done
}

mapfile -t digests < <(read_layers)
[ ${#digests[@]} -ge 2 ] || { echo "unpack-image: cannot read $layout" >&2; exit 1; }
manifest=${digests[0]#sha256:}
cache="$CKPT_CACHE_DIR/unpacked"
dest="$cache/${manifest:0:12}"
mkdir -p "$cache/layers"
# One unpacker at a time: another may be extracting the same layer or pruning.
exec 9>"$cache/.lock"
flock 9
shopt -s nullglob
if [ -f "$dest/.complete" ]; then touch "$dest"; prune; echo "$dest/rootfs"; exit 0; fi

# One layer, extracted once (digest checked first).
unpack_layer() {
  local d=$1 hex=${1#sha256:} blob tmp
  local out="$cache/layers/${hex:0:16}"
  [ -f "$out.complete" ] && { echo "$out"; return; }
  blob="$layout/blobs/sha256/$hex"
  [ "$(sha256sum "$blob" | cut -d' ' -f1)" = "$hex" ] || { echo "unpack-image: $blob does not match its digest" >&2; return 1; }
  if tar -tf "$blob" | grep -qE '(^|/)\.wh\.'; then
    echo "unpack-image: layer $d has whiteouts, which this unpacker does not apply" >&2; return 1
  fi
  tmp=$(mktemp -d "$cache/layers/.build.XXXXXX")
  chmod 0755 "$tmp"
  tar --numeric-owner -xpf "$blob" -C "$tmp" || { rm -rf "$tmp"; return 1; }
  rm -rf "$out"
  mv "$tmp" "$out"
  touch "$out.complete"
  echo "$out"
}

tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0755 "$tmp/rootfs"
for d in "${digests[@]:1}"; do
  layer=$(unpack_layer "$d")
  # Upper layers replace what lower ones hold at the same path.
  cp -alf "$layer/." "$tmp/rootfs/"
  echo "$layer" >> "$tmp/layers"
done
touch "$tmp/.complete"
trap - EXIT
publish_dir "$tmp" "$dest"

echo "$dest/rootfs"
