#!/usr/bin/env bash
# Builds the project's native addon (native/seqpacket.c -> native/build/seqpacket.node)
# with gcc against Node-API headers: no node-gyp, no network. npm runs it as the
# package's install script; it is a no-op when the output is up to date.
#
# Node-API is ABI-stable (the addon asks for NAPI_VERSION 8), so the headers
# come from the pinned npm package node-api-headers (a devDependency), or from
# $NODE_API_INCLUDE_DIR.
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
candidates+=("$repo/node_modules/node-api-headers/include")

include=
for dir in "${candidates[@]}"; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/js_native_api.h" ]; then
    include=$dir
    break
  fi
done
[ -n "$include" ] || fail "Node-API headers (node_api.h) not found in: ${candidates[*]}
  run npm ci (it installs node-api-headers) or set NODE_API_INCLUDE_DIR"

mkdir -p "$outdir"
tmp=$(mktemp "$outdir/.seqpacket.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$cc" "${cflags[@]}" -I"$include" -o "$tmp" "$src" \
  || fail "compiling $src failed (headers from $include)"
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
printf '%s\n' "$key" >"$stamp"
echo "build-native: built $out (Node-API headers from $include)" >&2
