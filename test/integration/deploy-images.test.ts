// The images hack/build-images.sh assembles without a container engine are
// the images the Dockerfiles describe and the manifests name: the same
// entrypoint, user, working directory and environment; the agent's Debian
// packages from the same list; the repository's current code, production
// dependencies only, the native addon; and both run (as the user the image
// says) from their own root file systems.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { hackDir, repoDir } from '../env/paths.ts';
import { run, runOk } from '../env/run.ts';

interface ImageConfig { User?: string; Env?: string[]; Entrypoint?: string[]; WorkingDir?: string }
interface Layout { ref: string; config: ImageConfig; rootfs: string }

async function readLayout(dir: string): Promise<Layout> {
  const blob = async <T>(digest: string): Promise<T> => JSON.parse(await readFile(join(dir, 'blobs', ...digest.split(':')), 'utf8')) as T;
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  const m = index.manifests[0];
  assert.ok(m !== undefined);
  const manifest = await blob<{ config: { digest: string } }>(m.digest);
  const config = (await blob<{ config: ImageConfig }>(manifest.config.digest)).config;
  const rootfs = (await runOk([join(hackDir, 'unpack-image.sh'), dir])).trim();
  return { ref: m.annotations['io.containerd.image.name'] ?? '', config, rootfs };
}

/** The final stage of a Dockerfile: its ENTRYPOINT, USER, WORKDIR, ENV and COPY sources from the context. */
function finalStage(text: string): { entrypoint: string[]; user?: string; workdir?: string; env: string[]; copies: string[] } {
  const lines = text.split('\n').filter((l) => !l.startsWith('#')).join('\n').replace(/\\\n/g, ' ').split('\n');
  const from = lines.map((l, i) => (/^FROM /.test(l) ? i : -1)).filter((i) => i >= 0).pop() ?? 0;
  const out: ReturnType<typeof finalStage> = { entrypoint: [], env: [], copies: [] };
  for (const l of lines.slice(from)) {
    const [instr = '', ...rest] = l.trim().split(/\s+/);
    const arg = rest.join(' ');
    if (instr === 'ENTRYPOINT') out.entrypoint = JSON.parse(arg) as string[];
    if (instr === 'USER') out.user = arg;
    if (instr === 'WORKDIR') out.workdir = arg;
    if (instr === 'ENV') out.env.push(arg);
    if (instr === 'COPY' && !arg.startsWith('--from')) out.copies.push(rest[0] ?? '');
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out;
}


const app = '/opt/ckpt-operator';
const pkg = JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('the images hack/build-images.sh assembles', () => {
  let controller: Layout;
  let agent: Layout;

  before(async () => {
    const dir = (await runOk([join(hackDir, 'build-images.sh')], { timeoutMs: 900_000 })).trim().split('\n').pop() ?? '';
    [controller, agent] = await Promise.all([readLayout(join(dir, 'controller')), readLayout(join(dir, 'agent'))]);
  });

  it('are the images deploy/base names', async () => {
    const k = parse(await readFile(join(repoDir, 'deploy', 'base', 'kustomization.yaml'), 'utf8')) as { images: Array<{ name: string; newName: string; newTag: string }> };
    const named = Object.fromEntries(k.images.map((i) => [i.name, `${i.newName}:${i.newTag}`]));
    assert.equal(controller.ref, named['ckpt-controller']);
    assert.equal(agent.ref, named['ckpt-agent']);
    assert.ok(controller.ref.endsWith(`:${pkg.version}`), 'tagged with the package version');
  });

  for (const [name, get] of [['controller', () => controller], ['agent', () => agent]] as const) {
    it(`${name}: configured as images/${name}/Dockerfile says`, async () => {
      const img = get();
      const file = await readFile(join(repoDir, 'images', name, 'Dockerfile'), 'utf8');
      const d = finalStage(file);
      assert.deepEqual(img.config.Entrypoint, d.entrypoint);
      assert.equal(img.config.WorkingDir, d.workdir);
      assert.equal(img.config.User ?? '', d.user ?? '');
      for (const e of d.env) assert.ok(img.config.Env?.includes(e), `ENV ${e}`);
      // Everything the Dockerfile copies from the build context passes its .dockerignore.
      const ignore = (await readFile(join(repoDir, 'images', name, 'Dockerfile.dockerignore'), 'utf8')).split('\n');
      for (const src of d.copies) assert.ok(ignore.some((l) => l.startsWith(`!${src}`)), `${src} is in images/${name}/Dockerfile.dockerignore`);
    });

    it(`${name}: the repository's code and production dependencies only`, async () => {
      const img = get();
      // src/ compiled: one .js for every .ts of the repository, and no sources.
      const compiled = (await listFiles(join(img.rootfs, app, 'src'))).sort();
      const sources = (await listFiles(join(repoDir, 'src'))).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '.js')).sort();
      assert.deepEqual(compiled, sources, 'src/ compiled from the repository');
      const js = await readFile(join(img.rootfs, app, 'src', 'cli', `${name}.js`), 'utf8');
      assert.doesNotMatch(js, /from '\.[^']*\.ts'/, 'relative imports rewritten to .js');
      const modules = new Set(await readdir(join(img.rootfs, app, 'node_modules')));
      for (const dep of Object.keys(pkg.dependencies).filter((d) => d !== 'node')) assert.ok(modules.has(dep.split('/')[0] ?? dep), `dependency ${dep}`);
      for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!modules.has(dev.split('/')[0] ?? dev) || dev.startsWith('@types/'), `no devDependency ${dev}`);
      assert.ok(!modules.has('node'), 'the runtime is /usr/local/bin/node, not a package');
      const found = await run(['find', join(img.rootfs, app, 'node_modules'), '-name', '*.d.ts', '-o', '-name', '*.map']);
      assert.equal(found.stdout, '', 'declarations and source maps are pruned');
    });
  }

  it('agent: the packages of images/agent/packages.txt, the protos and the native addon', async () => {
    const wanted = (await readFile(join(repoDir, 'images', 'agent', 'packages.txt'), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const status = await readFile(join(agent.rootfs, 'var', 'lib', 'dpkg', 'status'), 'utf8');
    for (const p of wanted) assert.match(status, new RegExp(`^Package: ${p}\\nStatus: install ok installed$`, 'm'), `package ${p}`);
    assert.ok((await readdir(join(agent.rootfs, app, 'proto', 'criu'))).some((f) => f.endsWith('.proto')));
    assert.deepEqual(await readFile(join(agent.rootfs, app, 'native', 'build', 'seqpacket.node')), await readFile(join(repoDir, 'native', 'build', 'seqpacket.node')));
  });

  it('agent: runs from its own root: Node 24, the native addon, CRIU, the entrypoint', async () => {
    const inRoot = (argv: string[]): Promise<string> => runOk(['chroot', agent.rootfs, ...argv], { env: { PATH: '/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    assert.match(await inRoot(['/usr/local/bin/node', '-p', 'process.version']), /^v24\./);
    assert.equal((await inRoot(['/usr/local/bin/node', '-p', `typeof require('${app}/native/build/seqpacket.node').socketpair`])).trim(), 'function');
    assert.match(await inRoot(['criu', '--version']), /Version: 4\./);
    // CRIU's network lock runs these.
    assert.match(await inRoot(['iptables-restore', '--version']), /iptables-restore v1\.8/);
    assert.match(await inRoot(['nft', '--version']), /nftables v1\./);
    assert.match(await inRoot([...(agent.config.Entrypoint ?? []), '--help']), /--node-name/);
  });

  it('controller: no shell, runs as its non-root user from its own root', async () => {
    for (const sh of ['bin/sh', 'usr/bin/sh', 'bin/bash']) await assert.rejects(stat(join(controller.rootfs, sh)), `${sh} is not in the image`);
    const user = controller.config.User ?? '';
    assert.equal(user, '65532:65532');
    const r = await run(['chroot', `--userspec=${user}`, controller.rootfs, ...(controller.config.Entrypoint ?? []), '--help'], { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--leader-elect/);
  });
});
