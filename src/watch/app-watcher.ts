import { existsSync, statSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { readSysctl } from '../procfs/system.js';
import type { WatchSpec } from '../protocol/app-spec.js';
import type { WatchStatus } from '../protocol/process-info.js';
import { makeIgnore, type IgnoreContext } from './ignore-rules.js';
import { InotifyTree } from './inotify-tree.js';
import { PollTree } from './poll-tree.js';

/** How many distinct paths of a burst are kept to name it by. */
const RECENT_PATHS = 16;

/** Polling period after the kernel ran out of inotify watches (when none was configured). */
const FALLBACK_POLL_MS = 2000;

export interface Burst {
  /**
   * The path the burst is named after: the last changed file that still exists when it ends (a
   * folder only when no file is left), so
   * an editor's or `sed -i`'s temporary file (written, then renamed over the real one) is never
   * what the user is told changed.
   */
  path: string;
  /** How many change events the burst held. */
  changes: number;
}

/**
 * The supervisor's restart-rate floor (restart-policy.ts), passed in: a watch restart obeys it
 * like a crash restart, so `watch_delay: 0` and an app that writes into its own watched folder
 * cannot restart it hundreds of times a second.
 */
export interface RestartFloor {
  /** A burst that began sooner than this after the previous watch restart counts as quick. */
  quickRunMs: number;
  /** The least time between the previous watch restart and the next, after `quick` quick ones. */
  floorMs(quick: number): number;
}

export interface AppWatcherDeps {
  /** A burst of changes ended (no change for `delayMs`): restart once. */
  burst(b: Burst): void;
  /** One-line notices for the user (fallback to polling, a root that does not exist). */
  notice(text: string): void;
  floor: RestartFloor;
}

/**
 * One app's watcher: inotify (or polling) over its paths, the ignore rules, the extension filter,
 * and the debounce that turns a burst (a `git checkout` of 1,000 files, an editor's
 * save-rename dance) into one restart.
 */
export class AppWatcher {
  private tree: InotifyTree | PollTree | null = null;
  private mode: WatchStatus['mode'] = 'off';
  private timer: NodeJS.Timeout | null = null;
  private pending: Burst | null = null;
  /** The last few distinct paths of the burst, newest last. */
  private recent: string[] = [];
  private lastChange: WatchStatus['lastChange'] = null;
  private restarts = 0;
  private notice: string | null = null;
  private closed = false;
  private lastFireAt: number | null = null;
  private burstStartedAt = 0;
  private quick = 0;
  private readonly ignored: (path: string) => boolean;

  constructor(
    private readonly spec: WatchSpec,
    private readonly ctx: IgnoreContext,
    private readonly deps: AppWatcherDeps,
  ) {
    this.ignored = makeIgnore(spec.ignore, ctx, spec.paths);
  }

  async start(): Promise<void> {
    if (this.spec.usePolling) return this.startPolling(this.spec.intervalMs);
    const tree = new InotifyTree(this.spec.paths, this.ignored, this.spec.followSymlinks, {
      change: (p) => this.onChange(p),
      exhausted: (code) => void this.fallBack(code),
    });
    this.tree = tree;
    this.mode = 'inotify';
    await tree.start();
  }

  private async fallBack(code: string): Promise<void> {
    if (this.closed || this.mode === 'polling') return;
    this.tree?.close();
    const limit = code === 'EMFILE' ? 'fs.inotify.max_user_instances' : 'fs.inotify.max_user_watches';
    const current = readSysctl(limit);
    this.notice = `the kernel ran out of inotify watches (${limit} = ${current ?? '?'}); watching by polling every ${FALLBACK_POLL_MS / 1000}s instead. Raise it: sysctl -w ${limit}=524288`;
    this.deps.notice(this.notice);
    await this.startPolling(FALLBACK_POLL_MS);
  }

  private async startPolling(intervalMs: number): Promise<void> {
    const tree = new PollTree(this.spec.paths, this.ignored, intervalMs, this.spec.followSymlinks, (p) => this.onChange(p));
    this.tree = tree;
    this.mode = 'polling';
    await tree.start();
  }

  private onChange(path: string): void {
    if (this.closed) return;
    const ext = extname(path).slice(1);
    // A directory entry list changed (no extension): counts only when no extension filter is set.
    if (this.spec.extensions.length > 0 && !this.spec.extensions.includes(ext)) return;
    const now = Date.now();
    if (this.pending === null) {
      this.pending = { path, changes: 0 };
      this.burstStartedAt = now;
    }
    this.pending.changes += 1;
    this.recent = [...this.recent.filter((p) => p !== path), path].slice(-RECENT_PATHS);
    if (this.timer !== null) clearTimeout(this.timer);
    const floorWait = this.lastFireAt === null ? 0 : this.lastFireAt + this.deps.floor.floorMs(this.nextQuick()) - now;
    this.timer = setTimeout(() => this.fire(), Math.max(this.spec.delayMs, floorWait));
  }

  /** The quick-restart count if the pending burst fires now. */
  private nextQuick(): number {
    return this.lastFireAt !== null && this.burstStartedAt - this.lastFireAt < this.deps.floor.quickRunMs ? this.quick + 1 : 0;
  }

  private fire(): void {
    this.timer = null;
    const b = this.pending;
    this.pending = null;
    const recent = this.recent;
    this.recent = [];
    if (b === null || this.closed) return;
    // A file over a folder (a folder re-watched after it was re-created reports itself too).
    b.path = recent.findLast(isFile) ?? recent.findLast((p) => existsSync(p)) ?? b.path;
    this.quick = this.nextQuick();
    this.lastFireAt = Date.now();
    this.restarts += 1;
    this.lastChange = { path: this.display(b.path), at: Date.now() };
    this.deps.burst(b);
  }

  /** A path as the user thinks of it: relative to the app's cwd when inside it. */
  display(path: string): string {
    const rel = relative(this.ctx.cwd, path);
    return rel !== '' && !rel.startsWith('..') ? rel : path;
  }

  status(): WatchStatus {
    return { mode: this.mode, watched: this.tree?.watched ?? 0, restarts: this.restarts, lastChange: this.lastChange, notice: this.notice };
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.tree?.close();
    this.tree = null;
    this.mode = 'off';
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
