// The restore oracle: stock `runc restore` of a checkpoint archive into a new
// container (a copy of the original bundle and root filesystem, its own runc
// root and cgroup), inside the node. Proves the images are a checkpoint a
// runtime can bring back, not just files.
import { shareInNode, type TestNode } from './node.ts';

export interface Restored {
  id: string;
  pid: number;
  runcRoot: string;
}

/** archiveInNode: the archive's path as the node sees it. */
export async function restoreWithRunc(node: TestNode, archiveInNode: string, originalId: string, id: string): Promise<Restored> {
  const dir = `${shareInNode}/restore-${id}`;
  const runcRoot = `/run/ckpt-restore`;
  const task = `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${originalId}`;
  const unpack = archiveInNode.endsWith('.zst') ? `zstd -q -d -c ${archiveInNode} | tar -x -C ${dir}/archive`
    : archiveInNode.endsWith('.gz') ? `tar -xzf ${archiveInNode} -C ${dir}/archive` : `tar -xf ${archiveInNode} -C ${dir}/archive`;
  await node.execOk(['sh', '-euc', `
    mkdir -p ${dir}/archive ${dir}/bundle ${dir}/work
    ${unpack}
    cp -a ${task}/rootfs ${dir}/bundle/rootfs
    if [ -f ${dir}/archive/rootfs-diff.tar ]; then tar -xf ${dir}/archive/rootfs-diff.tar -C ${dir}/bundle/rootfs; fi
    python3 - ${task}/config.json ${dir}/bundle/config.json ${id} <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec['root']['path'] = 'rootfs'
spec['linux']['cgroupsPath'] = '/ckpt-restore/' + sys.argv[3]
json.dump(spec, open(sys.argv[2], 'w'))
PY
  `]);
  // The container's stdio were pipes, which runc hands over from its own
  // stdio: give runc real pipes (a test process's stdio are sockets), kept
  // open by a background reader and writer for as long as the container lives.
  await node.execOk(['sh', '-c', `(sleep 2147483647 2>/dev/null | (runc --root ${runcRoot} restore -d --bundle ${dir}/bundle ` +
    `--image-path ${dir}/archive/checkpoint --work-path ${dir}/work ${id} 2>${dir}/restore.err; echo $? >${dir}/restore.rc)) ` +
    `2>/dev/null | cat >/dev/null 2>&1 &`]);
  let rc = '';
  for (let i = 0; i < 1200 && rc === ''; i++) {
    rc = (await node.exec(['cat', `${dir}/restore.rc`])).stdout.trim();
    if (rc === '') await new Promise((res) => setTimeout(res, 100));
  }
  if (rc !== '0') {
    const why = await node.exec(['sh', '-c', `cat ${dir}/restore.err; grep -E 'Error|error' ${dir}/work/restore.log | tail -20`]);
    throw new Error(`runc restore failed (${rc === '' ? 'no exit status' : `exit ${rc}`}): ${why.stdout}`);
  }
  const state = JSON.parse(await node.execOk(['runc', '--root', runcRoot, 'state', id])) as { pid: number; status: string };
  if (state.status !== 'running') throw new Error(`restored container is ${state.status}`);
  return { id, pid: state.pid, runcRoot };
}

export async function removeRestored(node: TestNode, r: Restored): Promise<void> {
  await node.exec(['runc', '--root', r.runcRoot, 'kill', r.id, 'KILL']);
  for (let i = 0; i < 50; i++) {
    const s = await node.exec(['runc', '--root', r.runcRoot, 'state', r.id]);
    if (s.code !== 0 || s.stdout.includes('"stopped"')) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await node.exec(['runc', '--root', r.runcRoot, 'delete', '--force', r.id]);
  // The parent cgroup the restore config named; rmdir keeps it if another restore still uses it.
  await node.exec(['sh', '-c', 'rmdir /sys/fs/cgroup/*/ckpt-restore 2>/dev/null; true']);
}
