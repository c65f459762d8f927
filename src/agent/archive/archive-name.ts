// Archive file names as kubelet and CRI-O write them, so that
// `checkpointctl list` and people used to kubelet's checkpoints find them:
// checkpoint-<pod>_<namespace>-<container>-<RFC 3339 time>.tar[.gz|.zst]
import type { Compression } from '../../api/checkpoint-options.ts';

export const compressionSuffix: Record<Compression, string> = { None: '', Gzip: '.gz', Zstd: '.zst' };

export function archiveFileName(pod: string, namespace: string, container: string, at: Date, compression: Compression): string {
  const time = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `checkpoint-${pod}_${namespace}-${container}-${time}.tar${compressionSuffix[compression]}`;
}
