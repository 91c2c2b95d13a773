import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TendError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkFileSafe } from './home-check.js';
import type { TendPaths } from './paths.js';

/** Bumped when the shape of `apps` changes; a reader refuses versions it does not know. */
export const DUMP_VERSION = 1;

/** What `tend save` writes: the desired set, each app's full spec including its environment. */
export interface DumpFile {
  version: number;
  /** ISO 8601, for humans reading the file and for resurrect's messages. */
  savedAt: string;
  apps: AppSpec[];
  /** Each app's id, in the order of `apps`: resurrect gives them back (`tend restart 0` keeps working). */
  ids?: number[];
  /** Cluster / socket-activated apps: the id of each instance (null for other apps), in the order of `apps` (missing at the end: none). */
  instanceIds?: Array<number[] | null>;
}

export interface LoadedDump {
  apps: AppSpec[];
  /** The saved ids (same order as `apps`); absent in dumps written before ids were saved. */
  ids?: number[] | undefined;
  /** The saved instance ids of pooled apps (same order as `apps`); absent in older dumps. */
  instanceIds?: Array<number[] | null> | undefined;
  savedAt: string;
  source: 'dump' | 'backup';
  /** Why the backup was used, for the user. */
  notices: string[];
}

/**
 * Writes the dump: the previous one (when it is readable) becomes the backup first, then the
 * new one replaces dump.json atomically. A corrupt dump.json never overwrites a good backup.
 * Both writes are durable (fsync): this file is what a reboot depends on.
 */
export function writeDump(paths: TendPaths, apps: AppSpec[], now: Date, ids?: number[], instanceIds?: Array<number[] | null>): DumpFile {
  const previous = readText(paths.dumpFile);
  if (previous !== null && tryParse(previous).dump !== null) writeFileAtomic(paths.dumpBackup, previous, 0o600, true);
  const dump: DumpFile = {
    version: DUMP_VERSION,
    savedAt: now.toISOString(),
    apps,
    ...(ids === undefined ? {} : { ids }),
    ...(instanceIds === undefined ? {} : { instanceIds }),
  };
  writeFileAtomic(paths.dumpFile, `${JSON.stringify(dump, null, 2)}\n`, 0o600, true);
  return dump;
}

/**
 * Reads the saved set: dump.json, or its backup when dump.json is missing, truncated, corrupt
 * or of an unknown version. Null when nothing was ever saved. Both unusable → E_STATE_CORRUPT,
 * and neither file is touched (they are evidence).
 */
export function readDump(paths: TendPaths, checkSpec: SpecCheck = (s) => s as AppSpec): LoadedDump | null {
  // Another user's (or a world-writable) file is refused outright, not fallen back from.
  checkFileSafe(paths.dumpFile);
  checkFileSafe(paths.dumpBackup);
  const main = load(paths.dumpFile, checkSpec);
  if (main.dump !== null) return { apps: main.dump.apps, ...idsOf(main.dump), savedAt: main.dump.savedAt, source: 'dump', notices: [] };
  const backup = load(paths.dumpBackup, checkSpec);
  if (main.missing && backup.missing) return null;
  const mainName = basename(paths.dumpFile);
  const backupName = basename(paths.dumpBackup);
  if (backup.dump !== null) {
    const why = main.missing ? 'is missing' : `cannot be used (${main.error})`;
    return {
      apps: backup.dump.apps,
      ...idsOf(backup.dump),
      savedAt: backup.dump.savedAt,
      source: 'backup',
      notices: [`${mainName} ${why}; using ${backupName}, saved ${backup.dump.savedAt}`],
    };
  }
  // One line each: a reason may quote a file's text, newlines included.
  const reasons = [
    `${mainName}: ${main.missing ? 'missing' : main.error}`,
    `${backupName}: ${backup.missing ? 'missing' : backup.error}`,
  ].map((r) => r.replace(/\s*\n\s*/g, ' '));
  throw new TendError('E_STATE_CORRUPT', `the saved app list cannot be read (${reasons.join('; ')})`, {
    hint: `Nothing was started or changed. Start your apps again and run \`tend save\`; the damaged files in ${paths.home} are left for inspection.`,
    details: { file: paths.dumpFile, backup: paths.dumpBackup },
  });
}

function idsOf(dump: DumpFile): { ids?: number[]; instanceIds?: Array<number[] | null> } {
  return {
    ...(dump.ids === undefined ? {} : { ids: dump.ids }),
    ...(dump.instanceIds === undefined ? {} : { instanceIds: dump.instanceIds }),
  };
}

type Loaded = { dump: DumpFile; missing: false; error: null } | { dump: null; missing: boolean; error: string | null };

/** The daemon passes the CLI's schema check (config/spec-check.ts), which this layer cannot import. */
export type SpecCheck = (spec: unknown, where: string) => AppSpec;

function load(file: string, checkSpec: SpecCheck): Loaded {
  let text: string | null;
  try {
    text = readText(file);
  } catch (err) {
    return { dump: null, missing: false, error: (err as Error).message };
  }
  if (text === null) return { dump: null, missing: true, error: null };
  const parsed = tryParse(text, checkSpec);
  return parsed.dump !== null ? { dump: parsed.dump, missing: false, error: null } : { dump: null, missing: false, error: parsed.error };
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function tryParse(text: string, checkSpec?: SpecCheck): { dump: DumpFile; error: null } | { dump: null; error: string } {
  try {
    return { dump: parseDump(text, checkSpec), error: null };
  } catch (err) {
    return { dump: null, error: (err as Error).message };
  }
}

/** Parses and checks a dump's shape; the message of what it throws says what is wrong. */
export function parseDump(text: string, checkSpec?: SpecCheck): DumpFile {
  if (text.trim() === '') throw new Error('empty file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // One line: some JSON.parse messages quote the text, newlines included.
    throw new Error(`not valid JSON, perhaps truncated: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const v = value as Partial<DumpFile> | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  if (v.version !== DUMP_VERSION)
    throw new Error(`format version ${JSON.stringify(v.version)} is not ${DUMP_VERSION} (written by another tend version?)`);
  if (typeof v.savedAt !== 'string') throw new Error('no savedAt');
  if (!Array.isArray(v.apps)) throw new Error('no apps array');
  v.apps.forEach((app, i) => checkApp(app, i));
  if (
    v.ids !== undefined &&
    (!Array.isArray(v.ids) || v.ids.length !== v.apps.length || !v.ids.every((id) => Number.isInteger(id) && id >= 0))
  ) {
    throw new Error('ids do not match the apps');
  }
  const isIdList = (x: unknown): boolean => x === null || (Array.isArray(x) && x.every((id) => Number.isInteger(id) && id >= 0));
  // Shorter than `apps` is fine (an app added by hand has no instance ids: it gets fresh ones).
  if (
    v.instanceIds !== undefined &&
    (!Array.isArray(v.instanceIds) || v.instanceIds.length > v.apps.length || !v.instanceIds.every(isIdList))
  ) {
    throw new Error('instanceIds do not match the apps');
  }
  if (checkSpec !== undefined) v.apps = v.apps.map((app, i) => checkSpec(app, `app #${i}`));
  return v as DumpFile;
}

/** Enough of AppSpec to start the app safely; the supervisor trusts specs it is given. */
function checkApp(app: unknown, index: number): void {
  const a = app as Partial<AppSpec> | null;
  const bad = (what: string): never => {
    throw new Error(`app #${index}${typeof a?.name === 'string' ? ` (${a.name})` : ''}: ${what}`);
  };
  if (typeof a !== 'object' || a === null) bad('not an object');
  if (typeof a?.name !== 'string' || a.name === '') bad('no name');
  if (typeof a?.exec !== 'object' || a.exec === null || typeof a.exec.script !== 'string' || !Array.isArray(a.exec.args))
    bad('no exec.script/args');
  if (typeof a?.cwd !== 'string') bad('no cwd');
  if (typeof a?.env !== 'object' || a.env === null || Object.values(a.env).some((x) => typeof x !== 'string'))
    bad('env is not a map of strings');
  if (typeof a?.log !== 'object' || a.log === null) bad('no log settings');
}
