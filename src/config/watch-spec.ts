import { isAbsolute, resolve } from 'node:path';
import { invalidValue } from '../errors.js';
import type { WatchSpec } from '../protocol/app-spec.js';

/** Polling period when `watch_options.usePolling` is set without an `interval` (PM2/chokidar: 100 ms; tend scans whole trees, so slower). */
export const DEFAULT_POLL_MS = 1000;

/** chokidar options PM2 users set that have a meaning here; the rest is ignored with a warning. */
const KNOWN_OPTIONS = new Set(['usePolling', 'interval', 'binaryInterval', 'followSymlinks']);

export interface WatchInput {
  watch: boolean | string[];
  ignore: string[];
  delayMs: number;
  extensions: string[];
  options: unknown;
}

/** The app's WatchSpec from its `watch*` keys, or undefined when it does not watch. */
export function buildWatchSpec(input: WatchInput, cwd: string, source: string, warnings: string[]): WatchSpec | undefined {
  if (input.watch === false) return undefined;
  const list = input.watch === true ? ['.'] : input.watch;
  if (list.length === 0) return undefined;
  const paths = [...new Set(list.map((p) => (isAbsolute(p) ? p : resolve(cwd, p === '' ? '.' : p))))];
  const spec: WatchSpec = {
    paths,
    ignore: input.ignore.filter((p) => p.length > 0),
    delayMs: input.delayMs,
    extensions: [
      ...new Set(
        input.extensions
          .flatMap((e) => e.split(','))
          .map((e) => e.trim().replace(/^\*?\./, ''))
          .filter(Boolean),
      ),
    ],
    usePolling: false,
    intervalMs: DEFAULT_POLL_MS,
    followSymlinks: true,
  };
  const opts = input.options;
  if (opts === undefined || opts === null) return spec;
  if (typeof opts !== 'object' || Array.isArray(opts))
    throw invalidValue('watch_options', 'an object like { usePolling: true, interval: 1000 }', opts);
  for (const [key, value] of Object.entries(opts as Record<string, unknown>)) {
    if (!KNOWN_OPTIONS.has(key)) {
      warnings.push(`${source}: \`watch_options.${key}\` is ignored (tend reads usePolling, interval, followSymlinks)`);
      continue;
    }
    if (key === 'usePolling' || key === 'followSymlinks') {
      if (typeof value !== 'boolean') throw invalidValue(`watch_options.${key}`, '`true` or `false`', value);
      spec[key] = value;
    } else if (key === 'interval') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 50 || value > 3_600_000)
        throw invalidValue('watch_options.interval', 'a whole number of milliseconds from 50 to 3600000', value);
      spec.intervalMs = value;
    }
  }
  return spec;
}

/** Checks a WatchSpec read from outside the normalizer (socket, state, dump); `bad` throws. */
export function checkWatchShape(v: unknown, bad: (field: string, expected: string, got: unknown) => never): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('watch', 'an object', v);
  const w = v as Record<string, unknown>;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!strings(w.paths) || (w.paths as string[]).length === 0 || (w.paths as string[]).some((p) => !isAbsolute(p)))
    bad('watch.paths', 'a non-empty list of absolute paths', w.paths);
  if (!strings(w.ignore)) bad('watch.ignore', 'a list of strings', w.ignore);
  if (!strings(w.extensions)) bad('watch.extensions', 'a list of strings', w.extensions);
  for (const k of ['delayMs', 'intervalMs']) {
    const n = w[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 3_600_000)
      bad(`watch.${k}`, 'a whole number of milliseconds up to an hour', n);
  }
  for (const k of ['usePolling', 'followSymlinks']) if (typeof w[k] !== 'boolean') bad(`watch.${k}`, '`true` or `false`', w[k]);
  const known = new Set(['paths', 'ignore', 'delayMs', 'extensions', 'usePolling', 'intervalMs', 'followSymlinks']);
  for (const k of Object.keys(w)) if (!known.has(k)) bad(`watch.${k}`, 'a known watch setting', w[k]);
}

/** Checks a PtySpec read from outside the normalizer. */
export function checkPtyShape(v: unknown, bad: (field: string, expected: string, got: unknown) => never): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('pty', 'an object', v);
  const p = v as Record<string, unknown>;
  if (typeof p.logAnsi !== 'boolean') bad('pty.logAnsi', '`true` or `false`', p.logAnsi);
  for (const k of Object.keys(p)) if (k !== 'logAnsi') bad(`pty.${k}`, 'a known pty setting', p[k]);
}
