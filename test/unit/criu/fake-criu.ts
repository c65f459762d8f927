// A stand-in for `criu swrk 3` for transport tests: speaks CRIU's RPC on fd 3
// through the project's addon. FAKE_CRIU_MODE picks the behaviour.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { decodeCriuReq, encodeCriuResp, type CriuResp } from '../../../src/criu/rpc-messages.ts';
import { SeqpacketSocket } from '../../../src/criu/seqpacket.ts';

const sock = new SeqpacketSocket(3);
const mode = process.env.FAKE_CRIU_MODE ?? 'dump-ok';

async function recvReq(): Promise<ReturnType<typeof decodeCriuReq>> {
  for (;;) {
    const got = await sock.recv(1 << 20, 10_000);
    if (got.kind === 'message') return decodeCriuReq(got.data);
    if (got.kind === 'eof') process.exit(0);
  }
}

function send(resp: CriuResp): void {
  sock.send(encodeCriuResp(resp));
}

async function notify(script: string): Promise<boolean> {
  send({ type: 'NOTIFY', success: true, notify: { script } });
  const reply = await recvReq();
  return reply.type === 'NOTIFY' && reply.notifySuccess === true;
}

function hangForever(): Promise<never> {
  // A pending promise alone would let Node exit; a timer keeps it alive.
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
}

const req = await recvReq();
switch (mode) {
  case 'dump-ok': {
    const answers: boolean[] = [];
    for (const script of ['pre-dump', 'network-lock', 'post-dump', 'network-unlock']) answers.push(await notify(script));
    const ok = answers.every(Boolean);
    // Echo what arrived, so the test can check the request survived the trip.
    send({ type: req.type, success: ok, crErrmsg: JSON.stringify({ req, answers, env: process.env.CRIU_FAULT ?? null, argv: process.argv.slice(2) }) });
    break;
  }
  case 'version':
    send({ type: 'VERSION', success: true, version: { majorNumber: 4, minorNumber: 1, sublevel: 1, gitid: 'fake' } });
    break;
  case 'fail':
    send({ type: req.type, success: false, crErrno: 5, crErrmsg: 'Error (criu/fake.c:1): something broke\n' });
    break;
  case 'hang':
    process.stderr.write('hanging\n');
    await hangForever();
    break;
  case 'hang-with-child': {
    // A helper that inherits the socket and would keep it open forever.
    const child = spawn('sleep', ['1000'], { stdio: ['ignore', 'ignore', 'ignore', 3] });
    writeFileSync(process.env.FAKE_CRIU_PIDFILE ?? '/dev/null', String(child.pid));
    await hangForever();
    break;
  }
  case 'exit':
    process.stderr.write('Error (criu/fake.c:2): dying without an answer\n');
    process.exit(3);
    break;
  case 'garbage':
    sock.send(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await hangForever();
    break;
  case 'notify-slow':
    send({ type: 'NOTIFY', success: true, notify: { script: 'pre-dump' } });
    await recvReq();
    send({ type: req.type, success: true });
    break;
}
await sock.close();
