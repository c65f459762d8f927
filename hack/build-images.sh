#!/usr/bin/env bash
# Builds the controller and agent images without a container engine, as OCI
# image layouts assembled from files: the same contents as
# images/{controller,agent}/Dockerfile produce. Prints the directory that
# holds controller/ and agent/ (each an OCI layout); everything is cached
# under $CKPT_CACHE_DIR and keyed by its inputs, so a source change rebuilds
# only the small application layer.
#
# Layers, bottom to top:
#   agent:      Debian trixie + images/agent/packages.txt (hack/build-agent-rootfs.sh)
#   controller: glibc, libstdc++ and libgcc from that same Debian root, /etc/passwd
#               with uid 65532 (what gcr.io/distroless/cc-debian13:nonroot holds)
#   both:       /usr/local/bin/node (the Node.js the lockfile pins, stripped)
#               /opt/ckpt-operator/node_modules (npm ci --omit=dev, pruned)
#               /opt/ckpt-operator/{package.json,src (compiled)} (+ proto/ and the native addon for the agent)
#
# Copy one to a registry with: skopeo copy oci:DIR docker://REGISTRY/NAME:TAG
. "$(dirname "$0")/lib.sh"
. "$HACK_DIR/oci-layout.sh"

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$REPO_DIR/package.json")
registry=${CKPT_IMAGE_REGISTRY:-ghcr.io/ckpt-dev}
controller_ref="$registry/ckpt-controller:$version"
agent_ref="$registry/ckpt-agent:$version"
app=/opt/ckpt-operator
node_bin="$REPO_DIR/node_modules/node/bin/node"
[ -x "$node_bin" ] || { echo "build-images: $node_bin is missing: run npm ci (make deps) first" >&2; exit 1; }
command -v strip >/dev/null || { echo "build-images: strip is missing (apt-get install binutils)" >&2; exit 1; }
"$HACK_DIR/build-native.sh"
addon="$REPO_DIR/native/build/seqpacket.node"

mkdir -p "$CKPT_CACHE_DIR/images"
# One build at a time: another may be pruning the layers this one reuses.
exec 9>"$CKPT_CACHE_DIR/images/.ckpt-build.lock"
flock 9

# Keeps the newest image layouts (by last use) and the layers they hold.
prune() {
  local keep=4 old d l digest
  mapfile -t old < <(find "$CKPT_CACHE_DIR/images" -mindepth 1 -maxdepth 1 -type d -name 'ckpt-*' -printf '%T@ %p\n' | sort -rn | tail -n +$((keep + 1)) | cut -d' ' -f2-)
  [ ${#old[@]} -eq 0 ] || rm -rf "${old[@]}"
  declare -A used=()
  for d in "$CKPT_CACHE_DIR"/images/ckpt-*/*/blobs/sha256/*; do used[${d##*/}]=1; done
  for l in "$CKPT_CACHE_DIR"/layers/*/; do
    read -r digest _ < "$l/digest" || continue
    [ -n "${used[${digest#sha256:}]:-}" ] || rm -rf "${l%/}"
  done
}
shopt -s nullglob

agent_root=$("$HACK_DIR/build-agent-rootfs.sh")
self=$(inputs_hash "$0" "$HACK_DIR/oci-layout.sh")
# Content hash of a set of files and their names.
tree_hash() { (cd "$REPO_DIR" && find "$@" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12); }

fill_agent_base() { cp -al "$agent_root/." "$1/" && chmod 0755 "$1"; }

fill_controller_base() {
  local root=$1 lib
  # The shared libraries node needs, resolved in the Debian root by its own loader.
  mkdir -p "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64" "$root/etc" "$root/home/nonroot" "$root/var" "$root/run"
  for lib in $("$agent_root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$agent_root/usr/lib/x86_64-linux-gnu" --list "$node_bin" \
      | sed -n 's|.*=> '"$agent_root"'\(/[^ ]*\) .*|\1|p'); do
    case $lib in
      /usr/lib64/*) cp -a "$agent_root$lib" "$root$lib" ;;
      *) cp -a "$agent_root$lib" "$root$lib"
         [ -L "$agent_root$lib" ] && cp -a "$agent_root$(dirname "$lib")/$(readlink "$agent_root$lib")" "$root$(dirname "$lib")/" ;;
    esac
  done
  # The loader itself: /lib64/ld-linux-x86-64.so.2 through the usrmerge links.
  cp -a "$agent_root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$root/usr/lib/x86_64-linux-gnu/"
  ln -sfn usr/lib "$root/lib"
  ln -sfn usr/lib64 "$root/lib64"
  ln -sfn /run "$root/var/run"
  mkdir -m 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
}

fill_node() { mkdir -p "$1/usr/local/bin" && strip -o "$1/usr/local/bin/node" "$node_bin"; }

fill_deps() {
  mkdir -p "$1$app"
  cp "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$1$app/"
  # Production dependencies from the committed lockfile; no install scripts:
  # the only ones are the project's own addon build and the npm package
  # `node`, whose binary is its own layer.
  (cd "$1$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  rm "$1$app/package.json" "$1$app/package-lock.json"
  "$HACK_DIR/prune-node-modules.sh" "$1$app/node_modules"
}

fill_app_controller() {
  mkdir -p "$1$app"
  cp "$REPO_DIR/package.json" "$1$app/"
  # Compiled JavaScript, not the .ts sources: type stripping at start costs
  # each process about 30 MiB (docs/benchmarks.md).
  "$REPO_DIR/node_modules/.bin/tsc" -p "$REPO_DIR/tsconfig.build.json" --outDir "$1$app/src"
}

fill_app_agent() {
  fill_app_controller "$1"
  cp -r "$REPO_DIR/proto" "$1$app/proto"
  mkdir -p "$1$app/native/build"
  cp "$addon" "$1$app/native/build/seqpacket.node"
}

node_key="$("$node_bin" --version)-$(stat -c %s "$node_bin")-$self"
base_agent=$(oci_layer agent-base "$(basename "$agent_root")-$self" root fill_agent_base)
base_controller=$(oci_layer controller-base "$(basename "$agent_root")-$self" exact fill_controller_base)
node_layer=$(oci_layer node "$node_key" app fill_node)
deps=$(oci_layer deps "$(inputs_hash "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$HACK_DIR/prune-node-modules.sh")-$self" app fill_deps)
app_controller=$(oci_layer app-controller "$(tree_hash package.json tsconfig.json tsconfig.build.json src)-$self" app fill_app_controller)
app_agent=$(oci_layer app-agent "$(tree_hash package.json tsconfig.json tsconfig.build.json src proto native/build/seqpacket.node)-$self" app fill_app_agent)

labels="\"org.opencontainers.image.version\":\"$version\""
controller_config="\"User\":\"65532:65532\",\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"NODE_ENV=production\"],\"Entrypoint\":$(oci_json_array /usr/local/bin/node "$app/src/cli/controller.js"),\"WorkingDir\":\"$app\",\"Labels\":{$labels,\"org.opencontainers.image.title\":\"ckpt-controller\"}"
agent_config="\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"NODE_ENV=production\"],\"Entrypoint\":$(oci_json_array /usr/local/bin/node "$app/src/cli/agent.js"),\"WorkingDir\":\"$app\",\"Labels\":{$labels,\"org.opencontainers.image.title\":\"ckpt-agent\"}"

key=$(printf '%s\n' "$controller_ref" "$agent_ref" "$controller_config" "$agent_config" \
  "$(cat "$base_controller/digest" "$base_agent/digest" "$node_layer/digest" "$deps/digest" "$app_controller/digest" "$app_agent/digest")" \
  | sha256sum | cut -c1-12)
dest="$CKPT_CACHE_DIR/images/ckpt-$key"
if [ -f "$dest/agent/index.json" ] && [ -f "$dest/controller/index.json" ]; then touch "$dest"; prune; echo "$dest"; exit 0; fi
tmp=$(mktemp -d "$CKPT_CACHE_DIR/images/.build.XXXXXX")
_oci_cleanup+=("$tmp")
oci_image "$tmp/controller" "$controller_ref" "$controller_config" "$base_controller" "$node_layer" "$deps" "$app_controller"
oci_image "$tmp/agent" "$agent_ref" "$agent_config" "$base_agent" "$node_layer" "$deps" "$app_agent"
chmod 0755 "$tmp"
publish_dir "$tmp" "$dest"
prune
log "images: $controller_ref ($(du -sh --apparent-size "$dest/controller/blobs" | cut -f1)), $agent_ref ($(du -sh --apparent-size "$dest/agent/blobs" | cut -f1)) in $dest"
echo "$dest"
