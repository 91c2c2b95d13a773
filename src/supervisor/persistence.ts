import { renameSync, unlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { TendError } from '../errors.js';
import type { Health } from '../lib/health.js';
import { STATUS_VERSION, type StatusFile } from '../protocol/status.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import { describeWriteError, isDiskError, writeFileAtomic } from '../store/atomic-write.js';
import { IntentLog } from '../store/intent-log.js';
import type { OperationEntry } from './handle-types.js';
import { faultPoint } from './fault-points.js';
import type { TendPaths } from '../store/paths.js';
import { STATE_VERSION, writeState } from '../store/state-file.js';

/** How often a failed state write is tried again (a full disk that gets space back). */
const RETRY_MS = 1000;

/**
 * The daemon's writes of its own state: state.json (what the next daemon adopts from), the
 * intent journal (written before a spawn or a stop, for what state.json does not hold yet) and
 * status.json (what `tend list` reads). No write failure is fatal: the daemon keeps supervising
 * from memory, says what is wrong through `health`, and writes again once it can.
 */
export class Persistence {
  private readonly intents: IntentLog;
  /** The state.json on disk is one this daemon wrote (or validated): safe to keep as the backup. */
  private stateOnDiskGood = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private legacyGone = false;
  private readonly stalePath: string;

  constructor(
    private readonly paths: TendPaths,
    private readonly health: Health,
    private readonly snapshot: () => { nextId: number; records: string[] },
    private readonly statusOf: () => ProcessInfo[],
    private readonly now: () => number,
    /** Called after each successful state write: every spec is now in state.json. */
    private readonly onStateWritten: () => void,
  ) {
    this.intents = new IntentLog(paths.intentFile);
    this.stalePath = `${paths.statusFile}.stale`;
  }

  /** Appends to the journal before acting. A failure is reported, never fatal: the run is still found by its token. */
  intent(entry: object): void {
    if (this.closed) return;
    try {
      this.intents.append(entry);
      if (this.health.has('intents')) this.health.set('intents', null);
      if ((entry as { op?: unknown }).op === 'spawned') faultPoint('after-spawned');
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      this.health.set('intents', `${diskWord(cause)}cannot record intents in ${this.paths.intentFile}: ${describeWriteError(cause)}`);
      this.scheduleRetry();
    }
  }

  /**
   * Records an operation before it acts (what the user asked for). Throws E_WRITE_FAILED when it
   * cannot be recorded: the caller then refuses the operation rather than acknowledge a change
   * a daemon restart could undo.
   */
  operation(entry: OperationEntry): void {
    if (this.closed) return;
    try {
      this.intents.append(entry);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      this.health.set(
        'intents',
        `${diskWord(cause)}cannot record changes in ${this.paths.intentFile}: ${describeWriteError(cause)}; changes are refused until it can`,
      );
      this.scheduleRetry();
      throw new TendError(
        'E_WRITE_FAILED',
        `\`${entry.verb}\` not done: tend could not record it in ${basename(this.paths.intentFile)} (${describeWriteError(cause)}), so a daemon restart could undo it`,
        {
          hint: `Nothing was changed. ${isDiskError(cause) ? `Free space on the filesystem of ${this.paths.home}` : `Check ${this.paths.home}`}, then try again.`,
          details: { file: this.paths.intentFile, errno: (cause as NodeJS.ErrnoException)?.code ?? null, disk: isDiskError(cause) },
          cause,
        },
      );
    }
    if (this.health.has('intents')) this.health.set('intents', null);
  }

  /** Takes the journal's space ahead, so recording a change never needs a new block (see IntentLog). */
  reserve(): void {
    try {
      this.intents.reserve();
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      this.health.set('intents', `${diskWord(cause)}cannot reserve the journal ${this.paths.intentFile}: ${describeWriteError(cause)}`);
    }
  }

  /** Writes state.json now; true when it worked. The journal is emptied only after a successful write. */
  writeState(): boolean {
    if (this.closed) return false;
    const { nextId, records } = this.snapshot();
    try {
      writeState(this.paths, `{"version":${STATE_VERSION},"nextId":${nextId},"apps":[${records.join(',')}]}`, this.stateOnDiskGood);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      this.health.set(
        'state',
        `${diskWord(cause)}cannot write ${this.paths.stateFile} (${describeWriteError(cause)}); apps are supervised from memory and the state is written again when space returns`,
      );
      this.scheduleRetry();
      return false;
    }
    this.stateOnDiskGood = true;
    this.intents.clear();
    if (!this.legacyGone) {
      // An older tend's journal, replayed by the restore that led here: now in state.json.
      try {
        unlinkSync(this.paths.legacyIntentFile);
      } catch {
        /* none */
      }
      this.legacyGone = true;
    }
    this.onStateWritten();
    if (this.health.has('state')) this.health.set('state', null);
    // What the journal missed is now in state.json.
    if (this.health.has('intents')) this.health.set('intents', null);
    return true;
  }

  /**
   * The process list for `tend list`. When it cannot be written the old file is moved out of
   * the way, so `list` asks the daemon instead of showing a stale list.
   */
  publishStatus(): void {
    if (this.closed) return;
    const status: StatusFile = {
      version: STATUS_VERSION,
      daemonPid: process.pid,
      writtenAt: this.now(),
      apps: this.statusOf(),
      problems: this.health.list(),
    };
    try {
      writeFileAtomic(this.paths.statusFile, JSON.stringify(status), 0o600, false);
      if (this.health.has('status')) {
        this.health.set('status', null);
        try {
          unlinkSync(this.stalePath);
        } catch {
          /* none */
        }
      }
    } catch (err) {
      // Renamed, not deleted: freeing its space would let the next write squeeze in and hide
      // that the disk is full; a rename needs no data blocks.
      try {
        renameSync(this.paths.statusFile, this.stalePath);
      } catch {
        /* already gone */
      }
      this.health.set(
        'status',
        `${diskWord((err as { cause?: unknown }).cause ?? err)}cannot write ${this.paths.statusFile}: ${describeWriteError((err as { cause?: unknown }).cause ?? err)}`,
      );
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    // Until every write works again: state first (what a restart needs), then the status.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.writeState()) this.publishStatus();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.intents.close();
  }
}

function diskWord(err: unknown): string {
  if (!isDiskError(err)) return '';
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 'disk full: ' : 'disk failing: ';
}
