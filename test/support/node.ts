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

  static async start(): Promise<TestNode> {
    return new TestNode(await Session.start<NodeInfo>('node'));
  }

  stop(): Promise<void> {
    return this.session.close();
  }
}
