import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, formatDuration } from '../../../src/runtime/config/duration.ts';
import { ConfigError, HelpRequested, loadConfig, usage } from '../../../src/runtime/config/load-config.ts';
import { defineOptions } from '../../../src/runtime/config/options.ts';

const spec = defineOptions({
  workers: { type: 'integer', default: 1, min: 1, description: 'concurrent reconciles' },
  logLevel: { type: 'enum', values: ['debug', 'info', 'warn'], default: 'info', description: 'log level' },
  leaderElect: { type: 'boolean', default: true, description: 'elect a leader' },
  leaseDuration: { type: 'duration', default: '15s', min: '1s', description: 'lease' },
  nodeName: { type: 'string', description: 'node' },
  namespaces: { type: 'list', default: [], description: 'namespaces' },
});

function files(map: Record<string, string>): (p: string) => string {
  return (p) => {
    const text = map[p];
    if (text === undefined) throw new Error(`ENOENT: ${p}`);
    return text;
  };
}

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    const { config, sources } = loadConfig(spec, { argv: [], env: {} });
    assert.deepEqual(config, { workers: 1, logLevel: 'info', leaderElect: true, leaseDuration: 15_000, namespaces: [] });
    assert.equal(sources.workers, 'default');
    assert.equal(config.nodeName, undefined);
  });

  it('ranks flags over environment over file over defaults', () => {
    const readFile = files({ '/etc/c.yaml': 'workers: 2\nlogLevel: warn\nleaseDuration: 20s\nnodeName: from-file\n' });
    const env = { CKPT_CONFIG: '/etc/c.yaml', CKPT_WORKERS: '3', CKPT_LOG_LEVEL: 'debug' };
    const { config, sources } = loadConfig(spec, { argv: ['--workers=4'], env, envPrefix: 'CKPT_', readFile });
    assert.equal(config.workers, 4);
    assert.equal(sources.workers, 'flag');
    assert.equal(config.logLevel, 'debug');
    assert.equal(sources.logLevel, 'env');
    assert.equal(config.leaseDuration, 20_000);
    assert.equal(sources.leaseDuration, 'file');
    assert.equal(config.nodeName, 'from-file');
    assert.equal(config.leaderElect, true);
    assert.equal(sources.leaderElect, 'default');
  });

  it('takes the file from --config, flag values in both spellings, and bare boolean flags', () => {
    const readFile = files({ 'a.yaml': 'namespaces: [a, b]\nleaderElect: false\n' });
    const { config } = loadConfig(spec, { argv: ['--config', 'a.yaml', '--node-name', 'n1', '--leader-elect'], env: {}, readFile });
    assert.deepEqual(config.namespaces, ['a', 'b']);
    assert.equal(config.nodeName, 'n1');
    assert.equal(config.leaderElect, true);
    const viaEnv = loadConfig(spec, { argv: [], env: { NAMESPACES: 'x, y', LEADER_ELECT: 'false' } });
    assert.deepEqual(viaEnv.config.namespaces, ['x', 'y']);
    assert.equal(viaEnv.config.leaderElect, false);
  });

  it('reports unknown file keys, unknown flags and bad values together, naming their source', () => {
    const readFile = files({ 'c.yaml': 'wrokers: 2\nleaseDuration: 10\n' });
    let err: unknown;
    try {
      loadConfig(spec, { argv: ['--config=c.yaml', '--log-level=loud', '--wokers=3', '--workers=0'], env: { LEADER_ELECT: 'maybe' }, readFile });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /c\.yaml: unknown key "wrokers" \(did you mean workers\?\)/);
    assert.match(text, /unknown flag --wokers \(did you mean --workers\?\)/);
    assert.match(text, /--log-level: want one of debug, info, warn, got "loud"/);
    assert.match(text, /--workers: must be at least 1, got 0/);
    assert.match(text, /\$LEADER_ELECT: want true or false, got "maybe"/);
    assert.match(text, /c\.yaml: leaseDuration: want a duration such as 15s/);
    assert.equal(err.problems.length, 6);
  });

  it('fails on a missing required option, a missing file and a file that is not a mapping', () => {
    const req = defineOptions({ nodeName: { type: 'string', required: true, description: 'node' } });
    assert.throws(() => loadConfig(req, { argv: [], env: {}, envPrefix: 'CKPT_' }), /nodeName is required: set --node-name, \$CKPT_NODE_NAME or "nodeName"/);
    assert.throws(() => loadConfig(spec, { argv: ['--config=nope.yaml'], env: {}, readFile: files({}) }), /nope\.yaml: ENOENT/);
    assert.throws(() => loadConfig(spec, { argv: [], env: {}, file: 'l.yaml', readFile: files({ 'l.yaml': '- a\n- b\n' }) }), /want a mapping/);
  });

  it('answers --help with a usage text listing every option', () => {
    assert.throws(() => loadConfig(spec, { argv: ['--help'], env: {} }), (e: unknown) => e instanceof HelpRequested && /--lease-duration/.test(e.message));
    assert.match(usage(spec, 'CKPT_'), /--log-level {2}\$CKPT_LOG_LEVEL {2}logLevel: {2}log level \[debug\|info\|warn\] \(default info\)/);
  });
});

describe('durations', () => {
  it('parses Go-style durations into milliseconds', () => {
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.throws(() => parseDuration('15'), /invalid duration/);
    assert.throws(() => parseDuration('15 s'), /invalid duration/);
    assert.throws(() => parseDuration(''), /invalid duration/);
    assert.equal(formatDuration(5_400_250), '1h30m250ms');
  });
});
