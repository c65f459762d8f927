#!/usr/bin/env bash
# Builds the node root filesystem with debootstrap: a Debian root (suite in
# versions.env) with CRIU, runc, containerd and their tools, which the host's
# Debian 12 cannot install (they need a newer glibc). Prints its directory.
#
# CKPT_CRIU_SUITE=forky takes CRIU (4.2) alone from Debian forky, on top of
# the same trixie root. CRIU 4.1 cannot dump inet sockets on Linux >= 6.16
# (SO_PASSCRED/SO_PASSSEC are refused there since kernel commit 7d8d93fdde50);
# CRIU 4.2 can. The default stays the verified trixie CRIU 4.1.
. "$(dirname "$0")/lib.sh"
criu_suite=${CKPT_CRIU_SUITE:-$NODE_SUITE}

packages=$(grep -v '^#' "$HACK_DIR/rootfs-packages.txt" | xargs | tr ' ' ',')
mirror=${CKPT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The archive the host's apt already uses: the only one reachable here.
  mirror=$(grep -rhoE '^(URIs: |deb )\S+debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | awk '{print $2}' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
key="$NODE_SUITE-criu-$criu_suite-$(printf '%s %s' "$packages" "$(inputs_hash "$HACK_DIR/build-rootfs.sh")" | sha256sum | cut -c1-12)"
dest="$CKPT_CACHE_DIR/rootfs/$key"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi

command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
log "debootstrap $NODE_SUITE root with: $packages (about a minute)"
mkdir -p "$CKPT_CACHE_DIR/rootfs"
tmp=$(mktemp -d "$CKPT_CACHE_DIR/rootfs/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
debootstrap --variant=minbase --include="$packages" \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$NODE_SUITE" "$tmp" "$mirror" >"$tmp.log" 2>&1 || {
    tail -n 30 "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
rm -f "$tmp.log"
if [ "$criu_suite" != "$NODE_SUITE" ]; then
  log "taking CRIU from $criu_suite"
  echo "deb $mirror $criu_suite main" > "$tmp/etc/apt/sources.list.d/$criu_suite.list"
  printf 'Package: *\nPin: release n=%s\nPin-Priority: 100\n' "$criu_suite" > "$tmp/etc/apt/preferences.d/$criu_suite"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  mount --bind /proc "$tmp/proc"
  # A mirror snapshot's Release file may be past its Valid-Until date.
  { chroot "$tmp" apt-get -qq -o Acquire::Check-Valid-Until=false update &&
    chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o Acquire::Check-Valid-Until=false \
      install -t "$criu_suite" criu python3-pycriu; } >"$tmp.log" 2>&1 || { umount "$tmp/proc"; tail -n 30 "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
  umount "$tmp/proc"
  rm -f "$tmp.log" "$tmp/etc/apt/sources.list.d/$criu_suite.list" "$tmp/etc/apt/preferences.d/$criu_suite"
fi
# Dropped: the package caches and lists only take space in the cache.
rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
# Mount points the node session binds into.
mkdir -p "$tmp/oldroot" "$tmp/work" "$tmp/ckpt"
chroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' > "$tmp/.packages"
touch "$tmp/.complete"
trap - EXIT
publish_dir "$tmp" "$dest"
echo "$dest"
