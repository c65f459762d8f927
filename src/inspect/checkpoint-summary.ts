// What a checkpoint holds, decoded from the CRIU images in an archive with
// the project's protobuf schemas, in the spirit of `checkpointctl inspect`:
// the container it came from, its process tree, the memory each process
// dumped, their open files and sockets, and CRIU's statistics.
import { decodeCriuImage, type CriuImage } from '../criu/image.ts';
import type { ArchiveContents } from './read-archive.ts';

export interface OpenFile {
  fd: number;
  kind: string;
  /** Path, pipe:[id], socket description, ... */
  target: string;
}

export interface ProcessSummary {
  pid: number;
  ppid: number;
  command: string;
  threads: number;
  /** Bytes of memory pages dumped for this process. */
  memoryBytes: number;
  files: OpenFile[];
}

export interface SocketSummary {
  kind: 'tcp' | 'udp' | 'unix' | 'other';
  family: string;
  state: string;
  local: string;
  remote: string;
}

export interface CheckpointSummary {
  container?: { id?: string; name?: string; image?: string; runtime?: string; createdTime?: string; checkpointedTime?: string };
  pod?: { name?: string; namespace?: string };
  processes: ProcessSummary[];
  sockets: SocketSummary[];
  memoryBytes: number;
  imagesBytes: number;
  rootfsDiffBytes: number;
  statistics?: Record<string, string>;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? v as Obj : {});

function image(files: Map<string, Buffer>, name: string): CriuImage | undefined {
  const buf = files.get(`checkpoint/${name}`);
  return buf === undefined ? undefined : decodeCriuImage(buf);
}

const tcpStates = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
const unixStates: Record<number, string> = { 1: 'ESTABLISHED', 7: 'CLOSE', 10: 'LISTEN' };

function ipAddress(family: number, words: unknown): string {
  const w = Array.isArray(words) ? words.map(num) : [];
  if (family === 2) {
    const v = w[0] ?? 0;
    return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff].join('.');
  }
  const bytes = w.flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function describeFile(f: Obj): { kind: string; target: string; socket?: SocketSummary } {
  const type = str(f.type);
  if (f.reg !== undefined) return { kind: 'file', target: str(obj(f.reg).name) };
  if (f.pipe !== undefined) return { kind: 'pipe', target: `pipe:[${num(obj(f.pipe).pipeId)}]` };
  if (f.isk !== undefined) {
    const s = obj(f.isk);
    const family = num(s.family);
    const proto = num(s.proto) === 6 ? 'tcp' : num(s.proto) === 17 ? 'udp' : 'other';
    const sock: SocketSummary = {
      kind: proto, family: family === 10 ? 'ipv6' : 'ipv4',
      state: proto === 'tcp' ? tcpStates[num(s.state)] ?? String(num(s.state)) : '',
      local: `${ipAddress(family, s.srcAddr)}:${num(s.srcPort)}`,
      remote: `${ipAddress(family, s.dstAddr)}:${num(s.dstPort)}`,
    };
    return { kind: 'socket', target: `${proto} ${sock.local} -> ${sock.remote} ${sock.state}`.trim(), socket: sock };
  }
  if (f.usk !== undefined) {
    const s = obj(f.usk);
    const name = Buffer.isBuffer(s.name) ? s.name.toString('utf8').replace(/\0/g, '@') : '';
    const sock: SocketSummary = { kind: 'unix', family: 'unix', state: unixStates[num(s.state)] ?? String(num(s.state)), local: name, remote: num(s.peer) === 0 ? '' : `peer ino ${num(s.peer)}` };
    return { kind: 'socket', target: `unix ${name === '' ? '(unnamed)' : name} ${sock.state}`, socket: sock };
  }
  if (f.tty !== undefined) return { kind: 'tty', target: 'tty' };
  if (f.efd !== undefined) return { kind: 'eventfd', target: 'eventfd' };
  if (f.nsf !== undefined) return { kind: 'namespace', target: 'ns' };
  return { kind: type.toLowerCase() || 'other', target: type };
}

export function summarize(c: ArchiveContents): CheckpointSummary {
  const { files, sizes } = c;
  const json = (name: string): Obj | undefined => {
    const b = files.get(name);
    return b === undefined ? undefined : JSON.parse(b.toString('utf8')) as Obj;
  };
  const config = json('config.dump');
  const annotations = obj(json('spec.dump')?.annotations) as Record<string, string>;
  const fileById = new Map<number, Obj>();
  for (const e of image(files, 'files.img')?.entries ?? []) fileById.set(num(e.value.id), e.value);
  const sockets: SocketSummary[] = [];
  const seenSockets = new Set<number>();
  const processes: ProcessSummary[] = [];
  for (const e of image(files, 'pstree.img')?.entries ?? []) {
    const pid = num(e.value.pid);
    const core = image(files, `core-${pid}.img`)?.entries[0]?.value;
    // CRIU 4 keeps a task's object IDs in ids-<pid>.img; older images in the core.
    const ids = image(files, `ids-${pid}.img`)?.entries[0]?.value ?? obj(core?.ids);
    let memoryBytes = 0;
    for (const pm of image(files, `pagemap-${pid}.img`)?.entries.slice(1) ?? []) memoryBytes += num(pm.value.nrPages) * 4096;
    const fdImage = image(files, `fdinfo-${num(ids.filesId)}.img`);
    const open: OpenFile[] = [];
    for (const fd of fdImage?.entries ?? []) {
      const id = num(fd.value.id);
      const f = fileById.get(id) ?? {};
      const d = describeFile(f);
      open.push({ fd: num(fd.value.fd), kind: d.kind, target: d.target });
      if (d.socket !== undefined && !seenSockets.has(id)) { seenSockets.add(id); sockets.push(d.socket); }
    }
    open.sort((a, b) => a.fd - b.fd);
    processes.push({
      pid, ppid: num(e.value.ppid), command: str(obj(core?.tc).comm),
      threads: Array.isArray(e.value.threads) ? e.value.threads.length : 1, memoryBytes, files: open,
    });
  }
  let imagesBytes = 0;
  for (const [name, size] of sizes) if (name.startsWith('checkpoint/')) imagesBytes += size;
  const statsEntry = image(files, 'stats-dump') ?? (files.has('stats-dump') ? decodeCriuImage(files.get('stats-dump') ?? Buffer.alloc(0)) : undefined);
  const dump = obj(statsEntry?.entries[0]?.value.dump);
  return {
    container: config === undefined ? undefined : {
      id: str(config.id), name: str(config.name), image: str(config.rootfsImageName), runtime: str(config.runtime),
      createdTime: str(config.createdTime), checkpointedTime: str(config.checkpointedTime),
    },
    pod: { name: annotations['io.kubernetes.cri.sandbox-name'], namespace: annotations['io.kubernetes.cri.sandbox-namespace'] },
    processes,
    sockets,
    memoryBytes: processes.reduce((a, p) => a + p.memoryBytes, 0),
    imagesBytes,
    rootfsDiffBytes: sizes.get('rootfs-diff.tar') ?? 0,
    statistics: Object.keys(dump).length === 0 ? undefined : Object.fromEntries(Object.entries(dump).map(([k, v]) => [k, String(v)])),
  };
}
