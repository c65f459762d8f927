// A blocking AF_UNIX SOCK_SEQPACKET socketpair from the project's native addon
// (native/seqpacket.c, built by hack/build-native.sh). CRIU's swrk mode reads
// its end with blocking reads, which no Node.js socket API can give it.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type RecvOutcome =
  | { kind: 'message'; data: Buffer }
  | { kind: 'eof' }
  | { kind: 'timeout' }
  | { kind: 'truncated'; size: number };

interface SeqpacketAddon {
  socketpair(): [number, number];
  send(fd: number, data: Uint8Array): number;
  recv(fd: number, maxBytes: number, timeoutMs: number): Promise<RecvOutcome>;
  close(fd: number): void;
}

export const addonPath = join(import.meta.dirname, '..', '..', 'native', 'build', 'seqpacket.node');

let loaded: SeqpacketAddon | undefined;

function addon(): SeqpacketAddon {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)(addonPath) as SeqpacketAddon;
    } catch (err) {
      throw new Error(`cannot load the native addon ${addonPath}: run hack/build-native.sh (npm ci runs it)`, { cause: err });
    }
  }
  return loaded;
}

/** One end of a SEQPACKET socketpair, owned by this process. */
export class SeqpacketSocket {
  private fd: number | undefined;
  private pendingRecv: Promise<unknown> | undefined;

  constructor(fd: number) {
    this.fd = fd;
  }

  private requireFd(): number {
    if (this.fd === undefined) throw new Error('seqpacket socket is closed');
    return this.fd;
  }

  /** Sends one whole message; throws with `code` EPIPE once the peer is gone. */
  send(data: Uint8Array): void {
    addon().send(this.requireFd(), data);
  }

  /**
   * Waits up to timeoutMs for one message on libuv's thread pool. Only one
   * receive may be pending at a time.
   */
  async recv(maxBytes: number, timeoutMs: number): Promise<RecvOutcome> {
    if (this.pendingRecv !== undefined) throw new Error('a receive is already pending on this socket');
    const p = addon().recv(this.requireFd(), maxBytes, Math.max(0, Math.ceil(timeoutMs)));
    this.pendingRecv = p;
    try {
      return await p;
    } finally {
      this.pendingRecv = undefined;
    }
  }

  /**
   * Closes the fd, after any pending receive has returned: closing it under a
   * worker thread's poll could let a new fd reuse the number mid-call.
   */
  async close(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    if (this.pendingRecv !== undefined) await this.pendingRecv.catch(() => undefined);
    addon().close(fd);
  }

  /** The raw fd, for passing to a child process's stdio. */
  get descriptor(): number {
    return this.requireFd();
  }
}

/** Makes a connected pair; both ends are blocking and close-on-exec. */
export function seqpacketPair(): [SeqpacketSocket, SeqpacketSocket] {
  const [a, b] = addon().socketpair();
  return [new SeqpacketSocket(a), new SeqpacketSocket(b)];
}
