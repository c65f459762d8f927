# OCI image layouts from plain files, without a container engine: layers are
# reproducible tars (uncompressed, so a layer's digest is its diff ID), blobs
# are named by sha256sum, and index.json names the image the way containerd
# and skopeo read it. Sourced by hack/build-images.sh, after lib.sh.

# A cached layer: runs FILL_FN on an empty root directory, tars it, and keeps
# the tar and its digest under $CKPT_CACHE_DIR/layers/NAME-KEY. Prints that
# directory. MODE is "app" (every entry root-owned, readable by all, mtime 0),
# "exact" (root-owned, mtime 0, modes as they are) or "root" (owners, modes
# and times as they are: a debootstrapped root).
oci_layer() {
  local name=$1 key=$2 mode=$3 fill=$4 dest tmp
  dest="$CKPT_CACHE_DIR/layers/$name-$key"
  if [ -f "$dest/digest" ]; then echo "$dest"; return; fi
  log "building image layer $name"
  mkdir -p "$CKPT_CACHE_DIR/layers"
  tmp=$(mktemp -d "$CKPT_CACHE_DIR/layers/.build.XXXXXX")
  _oci_cleanup+=("$tmp")
  mkdir -m 0755 "$tmp/root"
  "$fill" "$tmp/root"
  local flags=(--sort=name --numeric-owner)
  case $mode in
    app) flags+=(--owner=0 --group=0 --mtime=@0 --mode=go-w,a+rX) ;;
    exact) flags+=(--owner=0 --group=0 --mtime=@0) ;;
    root) ;;
    *) echo "oci_layer: unknown mode $mode" >&2; return 1 ;;
  esac
  tar "${flags[@]}" -C "$tmp/root" -cf "$tmp/layer.tar" .
  rm -rf "$tmp/root"
  printf 'sha256:%s %s\n' "$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)" "$(stat -c %s "$tmp/layer.tar")" > "$tmp/digest"
  publish_dir "$tmp" "$dest"
  echo "$dest"
}
_oci_cleanup=()
_oci_cleanup_all() { [ ${#_oci_cleanup[@]} -eq 0 ] || rm -rf "${_oci_cleanup[@]}"; }
trap _oci_cleanup_all EXIT

# Puts FILE into LAYOUT's blob store (a hard link when it can), prints "sha256:HEX SIZE".
oci_blob() {
  local file=$1 layout=$2 hex size
  hex=$(sha256sum "$file" | cut -d' ' -f1); size=$(stat -c %s "$file")
  mkdir -p "$layout/blobs/sha256"
  ln -f "$file" "$layout/blobs/sha256/$hex" 2>/dev/null || cp -f "$file" "$layout/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

# JSON string array from arguments: ["a","b"] (values must not need escaping).
oci_json_array() {
  local out="" v
  for v in "$@"; do out+="${out:+,}\"$v\""; done
  echo "[$out]"
}

# Writes an OCI layout for one image.
#   oci_image LAYOUT REF CONFIG_FRAGMENT LAYER_DIR...
# REF is the full image reference (registry/name:tag); CONFIG_FRAGMENT the
# members of the config's "config" object (User, Env, Entrypoint, ...).
oci_image() {
  local layout=$1 ref=$2 fragment=$3; shift 3
  local layer digest size diff_ids="" layers="" tmp
  mkdir -p "$layout/blobs/sha256"
  for layer in "$@"; do
    read -r digest size < "$layer/digest"
    ln -f "$layer/layer.tar" "$layout/blobs/sha256/${digest#sha256:}" 2>/dev/null \
      || cp -f "$layer/layer.tar" "$layout/blobs/sha256/${digest#sha256:}"
    diff_ids+="${diff_ids:+,}\"$digest\""
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"$digest\",\"size\":$size}"
  done
  tmp=$(mktemp -d "$layout/.tmp.XXXXXX")
  printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":{%s},"rootfs":{"type":"layers","diff_ids":[%s]}}\n' \
    "$fragment" "$diff_ids" > "$tmp/config.json"
  local config config_size
  read -r config config_size < <(oci_blob "$tmp/config.json" "$layout")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}\n' \
    "$config" "$config_size" "$layers" > "$tmp/manifest.json"
  local manifest manifest_size
  read -r manifest manifest_size < <(oci_blob "$tmp/manifest.json" "$layout")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}\n' \
    "$manifest" "$manifest_size" "$ref" "${ref##*:}" > "$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  rm -rf "$tmp"
}
