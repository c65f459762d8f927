#!/usr/bin/env bash
# Unpacks an OCI image layout into a root filesystem, the way a container
# runtime would: layers in order, each checked against its digest first.
# Cached by manifest digest under $CKPT_CACHE_DIR/unpacked; prints the
# directory. The demo runs the operator from these, so that what it runs is
# what the image ships.
#
#   unpack-image.sh LAYOUT_DIR
. "$(dirname "$0")/lib.sh"

layout=${1:?usage: unpack-image.sh LAYOUT_DIR}
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
mapfile -t digests < <(read_layers)
[ ${#digests[@]} -ge 2 ] || { echo "unpack-image: cannot read $layout" >&2; exit 1; }
manifest=${digests[0]#sha256:}
dest="$CKPT_CACHE_DIR/unpacked/${manifest:0:12}"
if [ -f "$dest/.complete" ]; then echo "$dest/rootfs"; exit 0; fi

mkdir -p "$CKPT_CACHE_DIR/unpacked"
tmp=$(mktemp -d "$CKPT_CACHE_DIR/unpacked/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -m 0755 "$tmp/rootfs"
for d in "${digests[@]:1}"; do
  blob="$layout/blobs/sha256/${d#sha256:}"
  [ "sha256:$(sha256sum "$blob" | cut -d' ' -f1)" = "$d" ] || { echo "unpack-image: $blob does not match its digest" >&2; exit 1; }
  if tar -tf "$blob" | grep -qE '(^|/)\.wh\.'; then
    echo "unpack-image: layer $d has whiteouts, which this unpacker does not apply" >&2; exit 1
  fi
  tar --numeric-owner -xpf "$blob" -C "$tmp/rootfs"
done
touch "$tmp/.complete"
trap - EXIT
publish_dir "$tmp" "$dest"
echo "$dest/rootfs"
