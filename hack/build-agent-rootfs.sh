#!/usr/bin/env bash
# Builds the base of the agent image with debootstrap: a minimal Debian root
# (suite in versions.env) with the packages of images/agent/packages.txt, the
# same list images/agent/Dockerfile installs. Documentation, apt lists and
# device nodes are dropped as in Debian's slim images. Prints its directory,
# cached and keyed by the package list and this script.
. "$(dirname "$0")/lib.sh"

list="$REPO_DIR/images/agent/packages.txt"
packages=$(grep -v '^#' "$list" | xargs | tr ' ' ',')
mirror=${CKPT_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The archive the host's apt already uses (the only one reachable on some machines).
  mirror=$(grep -rhoE '^(URIs: |deb )\S+debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | awk '{print $2}' | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
key="$NODE_SUITE-$(inputs_hash "$list" "$0")"
dest="$CKPT_CACHE_DIR/rootfs/agent-$key"
if [ -f "$dest.packages" ] && [ -d "$dest" ]; then echo "$dest"; exit 0; fi

command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
log "debootstrap $NODE_SUITE root of the agent image with: $packages (about a minute)"
mkdir -p "$CKPT_CACHE_DIR/rootfs"
tmp=$(mktemp -d "$CKPT_CACHE_DIR/rootfs/.agent.XXXXXX")
chmod 0755 "$tmp"  # the root directory of the image
trap 'rm -rf "$tmp" "$tmp.log"' EXIT
debootstrap --variant=minbase --include="$packages" \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$NODE_SUITE" "$tmp" "$mirror" >"$tmp.log" 2>&1 || { tail -n 30 "$tmp.log" >&2; exit 1; }
chroot "$tmp" dpkg-query -W -f '${Package} ${Version}\n' > "$tmp.pkgs"
# What a container image does not carry: package caches and lists, docs,
# man pages, translations, and the device nodes debootstrap made (the
# runtime provides /dev).
rm -rf "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* \
  "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/info/* "$tmp"/usr/share/locale/* \
  "$tmp"/var/log/* "$tmp"/dev/* "$tmp"/proc/* "$tmp"/sys/* "$tmp"/run/* "$tmp"/tmp/*
# debootstrap's resolv.conf and hostname are the build machine's; a runtime mounts its own.
rm -f "$tmp/etc/resolv.conf" "$tmp/etc/hostname"
mv "$tmp.pkgs" "$tmp.packages.new"
trap - EXIT
rm -f "$tmp.log"
publish_dir "$tmp" "$dest"
mv "$tmp.packages.new" "$dest.packages"
echo "$dest"
