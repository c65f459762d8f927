// A running node stack (containerd, runc, CRIU) for a suite, in its own
// session process; see test/env/node-stack.ts for what it holds.
import { NodeHandle, type NodeInfo } from '../env/node-handle.ts';
import { Session } from './session.ts';

export { runcRoot, shareInNode, workloadImageName } from '../env/node-handle.ts';

export class TestNode extends NodeHandle {
  private readonly session: Session<NodeInfo>;

  private constructor(session: Session<NodeInfo>) {
    super(session.info);
    this.session = session;
  }

  /**
   * criuSuite: the Debian suite CRIU comes from (hack/build-rootfs.sh); the
   * default is the verified trixie CRIU 4.1.
   */
  static async start(opts: { criuSuite?: string } = {}): Promise<TestNode> {
    const env = opts.criuSuite === undefined ? process.env : { ...process.env, CKPT_CRIU_SUITE: opts.criuSuite };
    return new TestNode(await Session.start<NodeInfo>('node', env));
  }

  stop(): Promise<void> {
    return this.session.close();
  }
}
