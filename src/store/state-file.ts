import { linkSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { checkFileSafe } from './home-check.js';
import type { TendPaths } from './paths.js';

/** Bumped when the shape of a record changes; an unknown version is kept aside, never guessed at. */
export const STATE_VERSION = 1;

export interface LoadedState<R> {
  nextId: number;
  records: R[];
  /** Where the records came from: the state file, its backup, or nothing usable. */
  source: 'state' | 'backup' | 'none';
  /** What went wrong and what was done about it, for `ping`/`list` and the daemon log. */
  notices: string[];
}

/**
 * Reads state.json. A file that is not JSON, of an unknown version or of the wrong shape is
 * renamed aside (`state.json.bad-<time>`, evidence, never deleted) and the backup is tried. A
 * record that fails `check` is dropped with a notice; the others are kept.
 */
export function readState<R>(paths: TendPaths, check: (raw: unknown, index: number) => R, now: Date): LoadedState<R> {
  const notices: string[] = [];
  const main = tryLoad(paths.stateFile, check, notices);
  if (main.kind === 'ok') return { ...main.value, source: 'state', notices };
  if (main.kind === 'bad') {
    const aside = `${paths.stateFile}.bad-${now.toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(paths.stateFile, aside);
      notices.push(`${basename(paths.stateFile)} could not be used (${main.error}); kept as ${basename(aside)}`);
    } catch (err) {
      notices.push(`${basename(paths.stateFile)} could not be used (${main.error}) nor moved aside (${(err as Error).message})`);
    }
  }
  const backup = tryLoad(paths.stateBackup, check, notices);
  if (backup.kind === 'ok') {
    if (main.kind === 'bad' || main.kind === 'missing')
      notices.push(`restored from ${basename(paths.stateBackup)}; processes started after it was written are found by their run token`);
    return { ...backup.value, source: 'backup', notices };
  }
  if (backup.kind === 'bad') notices.push(`${basename(paths.stateBackup)} could not be used either (${backup.error})`);
  return { nextId: 0, records: [], source: 'none', notices };
}

type Load<R> = { kind: 'ok'; value: { nextId: number; records: R[] } } | { kind: 'missing' } | { kind: 'bad'; error: string };

function tryLoad<R>(file: string, check: (raw: unknown, index: number) => R, notices: string[]): Load<R> {
  let text: string;
  try {
    checkFileSafe(file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', error: (err as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', error: text.trim() === '' ? 'empty file' : `not valid JSON, perhaps truncated: ${(err as Error).message}` };
  }
  const v = value as { version?: unknown; nextId?: unknown; apps?: unknown } | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { kind: 'bad', error: 'not a JSON object' };
  if (v.version !== STATE_VERSION)
    return { kind: 'bad', error: `format version ${JSON.stringify(v.version)} is not ${STATE_VERSION} (written by another tend version?)` };
  if (!Array.isArray(v.apps)) return { kind: 'bad', error: 'no apps array' };
  const records: R[] = [];
  v.apps.forEach((raw, i) => {
    try {
      records.push(check(raw, i));
    } catch (err) {
      notices.push(`${basename(file)}: app #${i} dropped: ${(err as Error).message}`);
    }
  });
  const nextId = typeof v.nextId === 'number' && Number.isInteger(v.nextId) && v.nextId >= 0 ? v.nextId : 0;
  return { kind: 'ok', value: { nextId, records } };
}

/**
 * Writes state.json atomically (fully written, renamed over the old one), first keeping the
 * current file as state.json.bak through a hard link: no bytes copied, and a state.json always
 * exists. Not fsynced: after a power cut no process survives anyway, and a crash of the daemon
 * leaves the page cache intact. Throws E_WRITE_FAILED (the old file is then unchanged).
 */
export function writeState(paths: TendPaths, text: string, keepBackup: boolean): void {
  if (keepBackup) {
    const tmp = `${paths.stateBackup}.${process.pid}.tmp`;
    try {
      try {
        unlinkSync(tmp);
      } catch {
        /* none left */
      }
      linkSync(paths.stateFile, tmp);
      renameSync(tmp, paths.stateBackup);
    } catch {
      // No state.json yet, or a filesystem without hard links: the backup stays as it was.
      try {
        unlinkSync(tmp);
      } catch {
        /* none */
      }
    }
  }
  writeFileAtomic(paths.stateFile, text, 0o600, false);
}
