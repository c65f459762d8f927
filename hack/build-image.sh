#!/usr/bin/env bash
# Builds the workload OCI image without a container engine: a busybox-static
# root plus the static workload program, packed as one uncompressed layer in an
# OCI layout tar that `ctr image import` reads. Prints the tar's path; the
# image is named ckpt.dev/workload:latest.
. "$(dirname "$0")/lib.sh"

rootfs=$("$HACK_DIR/build-rootfs.sh")
src="$HACK_DIR/workload/workload.c"
key=$(inputs_hash "$src" "$0" "$rootfs/.packages")
dest="$CKPT_CACHE_DIR/images/$key"
if [ -f "$dest/workload.oci.tar" ]; then echo "$dest/workload.oci.tar"; exit 0; fi

log "building the workload image"
mkdir -p "$CKPT_CACHE_DIR/images"
tmp=$(mktemp -d "$CKPT_CACHE_DIR/images/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root" layout="$tmp/layout"
mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc" "$root/data" \
  "$layout/blobs/sha256"
chmod 1777 "$root/tmp"
cp "$rootfs/usr/bin/busybox" "$root/bin/busybox"
for applet in sh ls cat echo sleep nc flock ps kill mkdir rm wc head tail dd true false touch; do
  ln -s busybox "$root/bin/$applet"
done
gcc -static -O2 -Wall -Wextra -Werror -o "$root/bin/workload" "$src"
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"

blob() { # file -> moves it into the blob store, prints "digest size"
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1); s=$(stat -c %s "$1")
  mv "$1" "$layout/blobs/sha256/$d"
  echo "$d $s"
}
# Reproducible layer: fixed order, times and owners.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$tmp/layer.tar" .
read -r layer_digest layer_size < <(blob "$tmp/layer.tar")
cat > "$tmp/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/workload","mem","16"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$layer_digest"]}}
JSON
read -r config_digest config_size < <(blob "$tmp/config.json")
cat > "$tmp/manifest.json" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$config_digest","size":$config_size},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:$layer_digest","size":$layer_size}]}
JSON
read -r manifest_digest manifest_size < <(blob "$tmp/manifest.json")
cat > "$layout/index.json" <<JSON
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$manifest_digest","size":$manifest_size,"annotations":{"io.containerd.image.name":"ckpt.dev/workload:latest","org.opencontainers.image.ref.name":"latest"}}]}
JSON
echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$tmp/workload.oci.tar" .
mkdir -p "$tmp/out" && mv "$tmp/workload.oci.tar" "$tmp/out/"
trap - EXIT
publish_dir "$tmp/out" "$dest"
rm -rf "$tmp"
echo "$dest/workload.oci.tar"
