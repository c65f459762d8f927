#!/usr/bin/env bash
# Fails when a test run left anything behind: scratch directories, servers,
# node processes or mounts. Run at the end of `make test`.
. "$(dirname "$0")/lib.sh"
status=0
shopt -s nullglob
dirs=(/tmp/ckpt-cp.* /tmp/ckpt-node.*)
if [ ${#dirs[@]} -gt 0 ]; then echo "left behind: ${dirs[*]}" >&2; status=1; fi
procs=$(pgrep -a -f "^($CKPT_CACHE_DIR/|containerd( |$)|containerd-shim-runc-v2|/bin/workload)" || true)
if [ -n "$procs" ]; then echo "processes left behind:"$'\n'"$procs" >&2; status=1; fi
mounts=$(grep -E '/tmp/ckpt-(cp|node)\.' /proc/self/mountinfo || true)
if [ -n "$mounts" ]; then echo "mounts left behind:"$'\n'"$mounts" >&2; status=1; fi
cgroups=(/sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/*/ckpt-restore)
if [ ${#cgroups[@]} -gt 0 ]; then echo "cgroups left behind: ${cgroups[*]}"$'\n'"$(find "${cgroups[@]}" -mindepth 1 -maxdepth 1 -type d)" >&2; status=1; fi
[ $status -eq 0 ] && log "no leftovers"
exit $status
