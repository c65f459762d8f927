#!/usr/bin/env bash
# Runs a command from an unpacked image the way a container runtime runs a
# pod's container, for the demo (hack/demo.ts), which has no kubelet: the
# image's root filesystem as the read-only lower layer of an overlay, the
# pod's volumes mounted into it, then pivot_root (or, for a non-root user,
# chroot plus setuid) and exec. It runs on the "host" it is started on: the
# caller enters the node's mount namespace first for a node's DaemonSet.
#
#   run-container.sh [OPTIONS] -- COMMAND [ARG...]
#
#   --rootfs DIR             unpacked image (see hack/unpack-image.sh)
#   --read-only              readOnlyRootFilesystem
#   --user UID:GID           runAsUser/runAsGroup (default 0:0)
#   --privileged             the host's /dev and /sys, read-write
#   --host-pid               hostPID: keep the caller's PID namespace (else a
#                            new one, with a root init that waits for COMMAND)
#   --workdir DIR            the image's WorkingDir
#   --bind SRC:DST[:OPT,...] hostPath volume; OPT: ro, type=Directory|
#                            DirectoryOrCreate|File|FileOrCreate, propagation=
#                            None|HostToContainer (the default is None)
#   --tmpfs DST              emptyDir
#   --serviceaccount DST     the ServiceAccount token volume, from the
#                            variables RUN_SA_TOKEN, RUN_SA_CA, RUN_SA_NAMESPACE
#
# The command gets exactly this script's environment minus RUN_SA_*. Stop it
# with SIGTERM to the process group (the caller starts it in its own).
set -euo pipefail

if [ "${1:-}" != --inside ]; then
  # A new mount namespace whose mounts receive the host's later mounts
  # (slave), as with mountPropagation HostToContainer; volumes that want None
  # are made private below.
  pidns=(--pid --fork --kill-child=SIGKILL)
  for a in "$@"; do [ "$a" = --host-pid ] && pidns=(); [ "$a" = -- ] && break; done
  exec unshare --mount --propagation slave "${pidns[@]}" -- "$0" --inside "$@"
fi
shift

rootfs='' read_only=0 user=0:0 privileged=0 host_pid=0 workdir=/
volumes=()
while [ $# -gt 0 ]; do
  case $1 in
    --rootfs) rootfs=$2; shift 2 ;;
    --read-only) read_only=1; shift ;;
    --user) user=$2; shift 2 ;;
    --privileged) privileged=1; shift ;;
    --host-pid) host_pid=1; shift ;;
    --workdir) workdir=$2; shift 2 ;;
    --bind | --tmpfs | --serviceaccount) volumes+=("$1" "$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "run-container: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run-container: no command" >&2; exit 2; }
[ -d "$rootfs" ] || { echo "run-container: --rootfs $rootfs is not a directory" >&2; exit 2; }

# The container's writable layer lives in a tmpfs of this private namespace:
# it goes away with the container, and nothing is written next to the image.
scratch=/mnt
mount -t tmpfs -o mode=0700 ckpt-container "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
r=$scratch/root
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$scratch/upper,workdir=$scratch/work" "$r"

mkdir -p "$r/proc" "$r/dev" "$r/sys"
mount -t proc proc "$r/proc"
if [ $privileged = 1 ]; then
  mount --rbind /dev "$r/dev"
  mount --rbind /sys "$r/sys"
else
  mount -t tmpfs -o mode=0755,nosuid ckpt-dev "$r/dev"
  for d in null zero full random urandom tty; do touch "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
  mkdir "$r/dev/shm" && mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
fi

# A container path resolved inside the root, following symlinks as the
# container sees them: an absolute link (Debian's /var/run -> /run) points
# into the root, never to the host's files.
in_root() {
  local out='' comp link hops=0 i=0
  local -a parts rest
  IFS=/ read -ra parts <<< "${1#/}"
  while [ $i -lt ${#parts[@]} ]; do
    comp=${parts[i]}; i=$((i + 1))
    case $comp in '' | .) continue ;; ..) out=${out%/*}; continue ;; esac
    if [ -L "$r$out/$comp" ]; then
      hops=$((hops + 1))
      [ $hops -le 40 ] || { echo "run-container: too many symlinks in $1" >&2; exit 1; }
      link=$(readlink "$r$out/$comp")
      rest=("${parts[@]:i}")
      [[ $link = /* ]] && out=''
      IFS=/ read -ra parts <<< "${link#/}"
      parts+=("${rest[@]}"); i=0
    else
      out=$out/$comp
    fi
  done
  echo "$r$out"
}

# Makes a mount point inside the container (a directory, or a file for a file
# volume) and prints its resolved path.
mount_point() {
  local path
  path=$(in_root "$1")
  if [ "$2" = file ]; then mkdir -p "$(dirname "$path")"; [ -e "$path" ] || touch "$path"
  else mkdir -p "$path"; fi
  echo "$path"
}

for ((i = 0; i < ${#volumes[@]}; i += 2)); do
  kind=${volumes[i]} spec=${volumes[i+1]}
  case $kind in
    --bind)
      IFS=: read -r src dst opts <<< "$spec"
      ro=0 type='' propagation=None
      IFS=, read -ra list <<< "${opts:-}"
      for o in "${list[@]}"; do
        case $o in
          ro) ro=1 ;;
          type=*) type=${o#type=} ;;
          propagation=*) propagation=${o#propagation=} ;;
          *) echo "run-container: unknown volume option $o in $spec" >&2; exit 2 ;;
        esac
      done
      case $type in
        DirectoryOrCreate) mkdir -p "$src" ;;
        FileOrCreate) mkdir -p "$(dirname "$src")"; [ -e "$src" ] || touch "$src" ;;
        Directory) [ -d "$src" ] || { echo "run-container: hostPath $src is not a directory" >&2; exit 1; } ;;
        File) [ -f "$src" ] || { echo "run-container: hostPath $src is not a file" >&2; exit 1; } ;;
        '') [ -e "$src" ] || { echo "run-container: hostPath $src does not exist" >&2; exit 1; } ;;
        *) echo "run-container: unsupported hostPath type $type" >&2; exit 2 ;;
      esac
      if [ -d "$src" ]; then at=$(mount_point "$dst" dir); else at=$(mount_point "$dst" file); fi
      mount --rbind "$src" "$at"
      case $propagation in
        None) mount --make-rprivate "$at" ;;
        HostToContainer) mount --make-rslave "$at" ;;
        *) echo "run-container: unsupported mountPropagation $propagation" >&2; exit 2 ;;
      esac
      # Like the kubelet: read-only applies to the volume's own mount, not
      # to the mounts below it.
      [ $ro = 0 ] || mount -o remount,bind,ro "$at"
      ;;
    --tmpfs)
      at=$(mount_point "$spec" dir)
      mount -t tmpfs -o mode=1777,nosuid,nodev ckpt-emptydir "$at"
      ;;
    --serviceaccount)
      at=$(mount_point "$spec" dir)
      mount -t tmpfs -o mode=0755,nosuid,nodev ckpt-token "$at"
      printf '%s' "${RUN_SA_TOKEN:?}" > "$at/token"
      printf '%s' "${RUN_SA_CA:?}" > "$at/ca.crt"
      printf '%s' "${RUN_SA_NAMESPACE:?}" > "$at/namespace"
      chmod 0644 "$at"/*
      mount -o remount,bind,ro "$at"
      ;;
  esac
done
unset RUN_SA_TOKEN RUN_SA_CA RUN_SA_NAMESPACE
[ $read_only = 0 ] || mount -o remount,bind,ro "$r"

uid=${user%%:*} gid=${user##*:}
if [ "$uid" = 0 ]; then
  # A real mount root, not a chroot: CRIU needs one (docs/node-stack.md).
  # pivot_root(".", ".") stacks the old root on the new one, and a lazy
  # unmount of "." (still the old root) drops it, as runc does; no put_old
  # directory is left in the container's root.
  cd "$r"
  pivot_root . .
  umount -l -c .
  cd "$workdir"
  [ $host_pid = 1 ] && exec "$@"
  "$@" &
else
  # chroot, then setgid/setgroups/setuid, then exec: the user never holds
  # the privileges needed to leave the root.
  unshare --root="$r" --wd="$workdir" --setgid="$gid" --setuid="$uid" -- "$@" &
fi
# PID 1 of the container's PID namespace: wait for the command; SIGTERM
# reaches it through the process group, so only keep waiting here.
child=$!
trap : TERM INT
while kill -0 "$child" 2>/dev/null; do wait "$child" && status=0 || status=$?; done
exit "${status:-0}"
