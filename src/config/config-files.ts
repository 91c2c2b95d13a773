import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configFormat } from './read-config.js';

// What the CLI needs to decide whether an argument is a config file, kept apart from the loader
// (load.ts, with the schema and every format's parser), which a `tend restart api` never needs.

/** Files `tend start` (no argument) looks for in the current folder, in this order. */
export const DEFAULT_CONFIG_NAMES = [
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.config.json',
  'ecosystem.config.yaml',
  'ecosystem.config.yml',
  'ecosystem.json',
  'ecosystem.yml',
  'ecosystem.yaml',
  'tend.config.js',
  'tend.config.cjs',
  'tend.config.mjs',
  'tend.config.json',
  'tend.config.yaml',
  'tend.config.yml',
  'Procfile',
] as const;

/** True when `tend start <path>` should read `path` as a config file rather than run it. */
export function isConfigFile(path: string): boolean {
  return configFormat(path) !== undefined;
}

/** The first default config file present in `dir`, if any. */
export function findDefaultConfig(dir: string): string | undefined {
  return DEFAULT_CONFIG_NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));
}
