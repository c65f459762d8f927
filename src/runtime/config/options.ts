// Describing a component's options once: type, default, help, limits. The
// loader derives the flag (--kebab-case), the environment variable
// (PREFIX_SCREAMING_SNAKE) and the file key (the option's own camelCase name).

interface Common {
  description: string;
  /** Fails loading when no source sets it and there is no default. */
  required?: boolean;
}

export interface StringOption extends Common { type: 'string'; default?: string; validate?: (v: string) => string | undefined }
export interface IntegerOption extends Common { type: 'integer'; default?: number; min?: number; max?: number }
export interface NumberOption extends Common { type: 'number'; default?: number; min?: number; max?: number }
export interface BooleanOption extends Common { type: 'boolean'; default?: boolean }
/** Milliseconds; written as 500ms, 15s, 2m, 1h30m. */
export interface DurationOption extends Common { type: 'duration'; default?: string; min?: string; max?: string }
export interface EnumOption<E extends string = string> extends Common { type: 'enum'; values: readonly E[]; default?: E }
/** Comma-separated in flags and environment, a YAML sequence in the file. */
export interface ListOption extends Common { type: 'list'; default?: readonly string[] }

export type OptionSpec = StringOption | IntegerOption | NumberOption | BooleanOption | DurationOption | EnumOption | ListOption;
export type OptionSet = Record<string, OptionSpec>;

export type OptionValue<S extends OptionSpec> =
  S extends { type: 'string' } ? string
    : S extends { type: 'integer' | 'number' | 'duration' } ? number
      : S extends { type: 'boolean' } ? boolean
        : S extends { type: 'enum'; values: readonly (infer E)[] } ? E
          : S extends { type: 'list' } ? string[]
            : never;

/** The loaded configuration: options with a default or marked required are always set. */
export type ConfigOf<D extends OptionSet> = {
  -readonly [K in keyof D]: D[K] extends { default: unknown } | { required: true } ? OptionValue<D[K]> : OptionValue<D[K]> | undefined;
};

/** Identity function that keeps enum values as literal types. */
export function defineOptions<const D extends OptionSet>(d: D): D {
  return d;
}

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(prefix: string, key: string): string {
  return prefix + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}
