#!/usr/bin/env bash
# Runs a command with the node root filesystem as its real mount root (not a
# chroot: CRIU needs a real mount tree), in a new mount namespace but the host
# PID namespace, which is the shape of the agent's pod on a real node
# (own root filesystem, hostPID, privileged).
#
#   node-root.sh RUN_DIR ROOTFS -- COMMAND...
#
# RUN_DIR holds this node's writable state: the overlay upper layer over the
# cached, read-only ROOTFS, containerd's state, and share/, which the host
# sees at RUN_DIR/share and the node at /ckpt. The repository is bound at its
# own path so that the agent runs from the same files inside and outside.
set -euo pipefail
if [ "${1:-}" != "--in-namespace" ]; then
  exec unshare --mount --propagation private -- "$0" --in-namespace "$@"
fi
shift
run=$1 rootfs=$2; shift 2
[ "${1:-}" = "--" ] && shift
repo=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$run/upper" "$run/overlay-work" "$run/merged" "$run/containerd" "$run/share"
m=$run/merged
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/overlay-work" "$m"
# containerd's overlay snapshots cannot live on an overlay: give it a real directory.
mkdir -p "$m/var/lib/containerd"
mount --bind "$run/containerd" "$m/var/lib/containerd"
mount -t proc proc "$m/proc"
mount --rbind /sys "$m/sys"
mount --rbind /dev "$m/dev"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
mount --bind "$run/share" "$m/ckpt"
mkdir -p "$m$repo"
mount --rbind "$repo" "$m$repo"
cd "$m"
pivot_root . oldroot
umount -l /oldroot
cd /
exec "$@"
