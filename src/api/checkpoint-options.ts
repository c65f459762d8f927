// The runc checkpoint option set, as ContainerCheckpoint.spec.options carries
// it. Each field maps to one runc flag; the rules keep runc's refusals
// (ADDRESS:PORT, numeric port, known cgroups mode, network as the only empty
// namespace) and add the ones a shared operator needs (no host paths).
import Type, { type Static } from 'typebox';
import { ObjectName, StringEnum } from './fields.ts';
import { withRules } from './rules.ts';

export const cgroupsModes = ['Soft', 'Full', 'Strict', 'Ignore'] as const;
export type CgroupsMode = (typeof cgroupsModes)[number];

const relativePathPattern = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const dotDotPattern = /(^|\/)\.\.(\/|$)/;

/** True when p names a place below the agent's archive root and nowhere else. */
export function isSafeRelativePath(p: string): boolean {
  return relativePathPattern.test(p) && !dotDotPattern.test(p);
}

const RelativePath = (description: string) => withRules(Type.String({ description, minLength: 1, maxLength: 255 }), [{
  rule: "self.matches('^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$') && !self.matches('(^|/)\\\\.\\\\.(/|$)')",
  message: "must be a relative path inside the agent's archive root: no leading '/', no '..', only letters, digits, '_', '.', '-' and '/'",
  check: (s) => isSafeRelativePath(s),
}]);

const PageServer = withRules(Type.Object({
  address: Type.Optional(Type.String({
    description: 'IP address or DNS name of the CRIU page server (runc --page-server ADDRESS:PORT).', minLength: 1, maxLength: 253,
    pattern: '^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$',
  })),
  port: Type.Optional(withRules(Type.Integer({ description: 'TCP port of the CRIU page server, 1 to 65535.' }), [{
    rule: 'self >= 1 && self <= 65535',
    message: 'Invalid port number: must be 1 to 65535',
    check: (s) => s >= 1 && s <= 65535,
  }])),
}, { description: 'Send memory pages to a CRIU page server instead of writing them to the images directory. The agent refuses addresses outside the operator\'s allowlist.' }), [{
  rule: 'has(self.address) && has(self.port)',
  message: 'needs both address and port (runc: Use --page-server ADDRESS:PORT to specify page server)',
  check: (s) => s.address !== undefined && s.port !== undefined,
}]);

const EmptyNamespace = withRules(Type.String({ description: 'A namespace to create empty on restore; only Network is supported.', maxLength: 32 }), [{
  rule: "self == 'Network'",
  messageExpression: "'namespace ' + self + ' is not supported: only Network can be emptied (runc --empty-ns network)'",
  check: (s) => s === 'Network' || `namespace ${s} is not supported: only Network can be emptied (runc --empty-ns network)`,
}]);

export const CheckpointOptions = withRules(Type.Object({
  leaveRunning: Type.Optional(Type.Boolean({
    description: 'Leave the container running after the checkpoint (runc --leave-running). When false the container is stopped once dumped.', default: true,
  })),
  tcpEstablished: Type.Optional(Type.Boolean({ description: 'Checkpoint established TCP connections (runc --tcp-established).', default: false })),
  extUnixSk: Type.Optional(Type.Boolean({ description: 'Allow external UNIX sockets (runc --ext-unix-sk).', default: false })),
  shellJob: Type.Optional(Type.Boolean({ description: 'Allow a shell job: a process attached to a terminal session (runc --shell-job).', default: false })),
  fileLocks: Type.Optional(Type.Boolean({ description: 'Checkpoint held file locks (runc --file-locks).', default: false })),
  manageCgroupsMode: Type.Optional(withRules(Type.Unsafe<CgroupsMode>({
    type: 'string', maxLength: 16, default: 'Soft',
    description: 'How CRIU handles the container\'s cgroups (runc --manage-cgroups-mode): Soft (default), Full, Strict or Ignore.',
  }), [{
    rule: "self in ['Soft', 'Full', 'Strict', 'Ignore']",
    messageExpression: "'Invalid manage cgroups mode ' + self + ': must be Soft, Full, Strict or Ignore'",
    check: (s) => (cgroupsModes as readonly string[]).includes(s) || `Invalid manage cgroups mode ${s}: must be Soft, Full, Strict or Ignore`,
  }])),
  emptyNamespaces: Type.Optional(Type.Unsafe<Array<'Network'>>({
    type: 'array', description: 'Namespaces to create but not restore the properties of (runc --empty-ns); only Network is supported.',
    items: EmptyNamespace, maxItems: 1, 'x-kubernetes-list-type': 'set',
  })),
  pageServer: Type.Optional(PageServer),
  imagePath: Type.Optional(RelativePath('Directory for the CRIU images, relative to the agent\'s archive root (runc --image-path). Defaults to a directory named after this checkpoint.')),
  workPath: Type.Optional(RelativePath('Directory for CRIU\'s work files and logs, relative to the agent\'s archive root (runc --work-path). Defaults to the images directory\'s sibling.')),
  preDump: Type.Optional(Type.Boolean({
    description: 'Dump memory only, leaving the container running, as the first step of an incremental checkpoint (runc --pre-dump). Needs soft-dirty memory tracking in the kernel.', default: false,
  })),
  parentCheckpoint: Type.Optional(ObjectName('Name of an earlier ContainerCheckpoint in this namespace whose images this dump builds on (runc --parent-path). Needs soft-dirty memory tracking in the kernel.')),
}, { description: "CRIU options, the same set as runc's checkpoint command.", default: {} }), [{
  rule: '!(has(self.preDump) && self.preDump && has(self.leaveRunning) && !self.leaveRunning)',
  message: 'preDump always leaves the container running; leaveRunning cannot be false',
  check: (s) => !(s.preDump === true && s.leaveRunning === false),
}, {
  rule: '!(has(self.imagePath) && has(self.workPath) && self.imagePath == self.workPath)',
  message: 'imagePath and workPath must differ',
  fieldPath: '.workPath',
  check: (s) => s.imagePath === undefined || s.imagePath !== s.workPath,
}]);
export type CheckpointOptions = Static<typeof CheckpointOptions>;

export const compressions = ['None', 'Gzip', 'Zstd'] as const;
export type Compression = (typeof compressions)[number];

export const ArchiveSpec = Type.Object({
  compression: Type.Optional(StringEnum(compressions, {
    description: 'Compression of the archive: None, Gzip or Zstd (default). Applied after the container resumes, never while it is frozen.',
    default: 'Zstd',
  })),
}, { description: 'How the checkpoint archive is written.', default: {} });
export type ArchiveSpec = Static<typeof ArchiveSpec>;

export const TimeoutSeconds = Type.Integer({
  description: 'Seconds the whole checkpoint may take, from the agent claiming it to the archive written; 1 to 3600, default 120. CRIU is killed and the container thawed when it runs out.',
  default: 120, minimum: 1, maximum: 3600,
});

export const TtlSecondsAfterFinished = Type.Integer({
  description: 'Delete the ContainerCheckpoint (and, through the agent, its archive) this many seconds after it succeeded or failed. Unset: keep it.',
  minimum: 0, maximum: 31536000,
});
