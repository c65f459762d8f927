#!/usr/bin/env bash
# Checks the host prerequisites and installs the ones Debian can give us.
# The node tests need root (mounts, namespaces, CRIU); everything else the
# project builds itself (hack/build-*.sh).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "ckpt-operator's environment needs root: it mounts the node root filesystem and runs CRIU." >&2
  exit 1
fi
missing=()
for pkg_cmd in debootstrap:debootstrap openssl:openssl util-linux:setpriv util-linux:nsenter gcc:gcc make:make; do
  command -v "${pkg_cmd#*:}" >/dev/null || missing+=("${pkg_cmd%%:*}")
done
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing host packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
command -v go >/dev/null || { echo "Go is required to build kube-apiserver, kubectl and etcd (go.dev/dl)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required; it installs the project's own Node.js 24" >&2; exit 1; }
