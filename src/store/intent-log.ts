import { closeSync, ftruncateSync, openSync, readFileSync } from 'node:fs';
import { writeFailed, writeFully } from './atomic-write.js';

/**
 * An append-only journal of what the daemon is about to do, written before it does it (before
 * a spawn, before a stop), for what state.json does not hold yet. A daemon killed between a spawn
 * and the next state write leaves the run's token (and the app's spec, when state.json does not
 * have it) here; the next daemon finds the run by that token instead of starting a second copy.
 * Emptied after each successful state write. One JSON object per line; a line cut short by a
 * kill is ignored on reading.
 */
export class IntentLog {
  private fd: number | null = null;
  /** A failed append may have left a partial line: start the next one on a fresh line. */
  private broken = false;

  constructor(private readonly path: string) {}

  /** Throws E_WRITE_FAILED when the entry could not be written completely. */
  append(entry: object): void {
    this.fd ??= openSync(this.path, 'a', 0o600);
    const line = `${this.broken ? '\n' : ''}${JSON.stringify(entry)}\n`;
    try {
      writeFully(this.fd, Buffer.from(line, 'utf8'));
      this.broken = false;
    } catch (err) {
      this.broken = true;
      throw writeFailed(this.path, err);
    }
  }

  /** Everything in it is now in state.json. */
  clear(): void {
    try {
      this.fd ??= openSync(this.path, 'a', 0o600);
      ftruncateSync(this.fd, 0);
      this.broken = false;
    } catch {
      // Stale entries are harmless: they name runs the state file also knows.
    }
  }

  close(): void {
    if (this.fd !== null) try { closeSync(this.fd); } catch { /* closed */ }
    this.fd = null;
  }
}

/** The journal's entries, oldest first; unreadable lines (cut by a kill) are skipped. */
export function readIntents(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A partial last line: the daemon died while writing it, before acting on it.
    }
  }
  return out;
}
