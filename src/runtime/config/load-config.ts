// Loads a described option set from flags, environment and a YAML file.
// Precedence: flags > environment > file > defaults. Every problem found is
// reported together, each naming where the bad value came from. Unknown flags
// and unknown file keys are errors (a typo must not silently fall back to a
// default); unknown environment variables are not, since the environment is
// shared with everything else in the container.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatDuration, parseDuration } from './duration.ts';
import { envName, flagName, type ConfigOf, type OptionSet, type OptionSpec } from './options.ts';

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

export interface LoadConfigOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Environment variable prefix, e.g. "CKPT_" (default ""). */
  envPrefix?: string;
  /** Read a file given explicitly (otherwise --config or PREFIX_CONFIG). */
  file?: string;
  /** Reads the file (tests); default fs.readFileSync. */
  readFile?: (path: string) => string;
}

export interface LoadedConfig<D extends OptionSet> {
  config: ConfigOf<D>;
  /** Where each option's value came from. */
  sources: Record<keyof D, ConfigSource>;
  /** The config file read, if any. */
  file: string | undefined;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Thrown for --help / -h; message is the usage text. */
export class HelpRequested extends Error {
  constructor(usage: string) {
    super(usage);
    this.name = 'HelpRequested';
  }
}

type Raw = { value: unknown; from: string; source: ConfigSource };

export function loadConfig<D extends OptionSet>(spec: D, o: LoadConfigOptions = {}): LoadedConfig<D> {
  const prefix = o.envPrefix ?? '';
  const env = o.env ?? process.env;
  const problems: string[] = [];
  const keys = Object.keys(spec);
  const byFlag = new Map(keys.map((k) => [flagName(k), k]));

  const flags = parseArgv(o.argv ?? [], spec, byFlag, problems, prefix);
  const fileFlag = flags.get('config');
  flags.delete('config');
  const file = o.file ?? (typeof fileFlag?.value === 'string' ? fileFlag.value : undefined) ?? nonEmpty(env[`${prefix}CONFIG`]);

  const fromFile = new Map<string, Raw>();
  if (file !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml((o.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(file));
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message.split('\n')[0] ?? ''}`);
    }
    if (doc !== undefined && doc !== null) {
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        problems.push(`${file}: want a mapping of option names to values`);
      } else {
        for (const [k, v] of Object.entries(doc)) {
          if (!(k in spec)) problems.push(`${file}: unknown key ${JSON.stringify(k)}${suggest(k, keys)}`);
          else fromFile.set(k, { value: v, from: `${file}: ${k}`, source: 'file' });
        }
      }
    }
  }

  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const key of keys) {
    const s = spec[key] as OptionSpec;
    const e = envName(prefix, key);
    const envValue = env[e];
    const raw: Raw | undefined = flags.get(key)
      ?? (envValue !== undefined ? { value: envValue, from: `$${e}`, source: 'env' } : undefined)
      ?? fromFile.get(key);
    if (raw === undefined) {
      if (s.default !== undefined) {
        config[key] = s.type === 'duration' ? parseDuration(s.default) : s.type === 'list' ? [...s.default] : s.default;
        sources[key] = 'default';
      } else if (s.required === true) {
        problems.push(`${key} is required: set --${flagName(key)}, $${e} or "${key}" in the config file`);
      }
      continue;
    }
    try {
      config[key] = convert(s, raw.value);
      sources[key] = raw.source;
    } catch (err) {
      problems.push(`${raw.from}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: config as ConfigOf<D>, sources: sources as Record<keyof D, ConfigSource>, file };
}

function parseArgv(argv: readonly string[], spec: OptionSet, byFlag: Map<string, string>, problems: string[], prefix: string): Map<string, Raw> {
  const out = new Map<string, Raw>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new HelpRequested(usage(spec, prefix));
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}: options are given as --name=value`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (name === 'config') {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) problems.push('--config needs a file name');
      else out.set('config', { value, from: '--config', source: 'flag' });
      continue;
    }
    const key = byFlag.get(name);
    if (key === undefined) {
      problems.push(`unknown flag --${name}${suggest(name, [...byFlag.keys()], '--')}`);
      continue;
    }
    const s = spec[key] as OptionSpec;
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (s.type === 'boolean') value = 'true';
    else value = argv[++i];
    if (value === undefined) {
      problems.push(`--${name} needs a value`);
      continue;
    }
    out.set(key, { value, from: `--${name}`, source: 'flag' });
  }
  return out;
}

function convert(s: OptionSpec, v: unknown): unknown {
  const text = typeof v === 'string' ? v.trim() : undefined;
  switch (s.type) {
    case 'string':
      if (typeof v !== 'string') throw new Error(`want a string, got ${describe(v)}`);
      if (s.validate !== undefined) {
        const why = s.validate(v);
        if (why !== undefined) throw new Error(why);
      }
      return v;
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new Error(`want true or false, got ${describe(v)}`);
    case 'integer':
    case 'number': {
      const n = typeof v === 'number' ? v : text !== undefined && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n) || (s.type === 'integer' && !Number.isInteger(n))) throw new Error(`want ${s.type === 'integer' ? 'an integer' : 'a number'}, got ${describe(v)}`);
      if (s.min !== undefined && n < s.min) throw new Error(`must be at least ${s.min}, got ${n}`);
      if (s.max !== undefined && n > s.max) throw new Error(`must be at most ${s.max}, got ${n}`);
      return n;
    }
    case 'duration': {
      if (text === undefined) throw new Error(`want a duration such as 15s, got ${describe(v)}`);
      const ms = parseDuration(text);
      if (s.min !== undefined && ms < parseDuration(s.min)) throw new Error(`must be at least ${s.min}, got ${formatDuration(ms)}`);
      if (s.max !== undefined && ms > parseDuration(s.max)) throw new Error(`must be at most ${s.max}, got ${formatDuration(ms)}`);
      return ms;
    }
    case 'enum':
      if (text === undefined || !s.values.includes(text)) throw new Error(`want one of ${s.values.join(', ')}, got ${describe(v)}`);
      return text;
    case 'list':
      if (Array.isArray(v)) {
        const items = v.filter((x): x is string => typeof x === 'string');
        if (items.length !== v.length) throw new Error('want a list of strings');
        return items;
      }
      if (text === undefined) throw new Error(`want a list, got ${describe(v)}`);
      return text === '' ? [] : text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  }
}

/** Help text listing every option with its flag, variable, default and description. */
export function usage(spec: OptionSet, envPrefix = ''): string {
  const lines = ['Options (flags > environment > config file > defaults):', `  --config=FILE  (or $${envPrefix}CONFIG)  YAML file of option values`];
  for (const [key, s] of Object.entries(spec)) {
    const def = s.default === undefined ? '' : ` (default ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    const values = s.type === 'enum' ? ` [${s.values.join('|')}]` : '';
    lines.push(`  --${flagName(key)}  $${envName(envPrefix, key)}  ${key}:  ${s.description}${values}${def}`);
  }
  return lines.join('\n');
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : v === null ? 'null' : `${typeof v} ${JSON.stringify(v)}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function suggest(name: string, known: readonly string[], pre = ''): string {
  const close = known.filter((k) => editDistance(k.toLowerCase(), name.toLowerCase()) <= 2);
  return close.length > 0 ? ` (did you mean ${close.map((c) => pre + c).join(' or ')}?)` : ` (known: ${known.map((c) => pre + c).join(', ')})`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return (d[a.length] as number[])[b.length] ?? 0;
}
