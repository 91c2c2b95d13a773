import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessStatus, WatchStatus } from '../protocol/process-info.js';
import { AppWatcher, type Burst, type RestartFloor } from './app-watcher.js';
import { WATCHING } from '../protocol/status-groups.js';

/** What the watch manager reports, by event: typed, so a listener (`tend run`) cannot drift from it. */
export type WatchLog = {
  'watch-notice': { id: number; name: string; notice: string };
  'watch-started': { id: number; name: string; paths: string[]; mode: WatchStatus['mode']; watched: number };
  'watch-failed': { id: number; name: string; error: string };
  'watch-restart': { id: number; name: string | undefined; path: string; changes: number };
  'watch-restart-failed': { id: number; name: string | undefined; error: string };
};
export type WatchLogArgs = { [K in keyof WatchLog]: [event: K, data: WatchLog[K]] }[keyof WatchLog];

/** What the watch manager needs from the supervisor that runs the apps (daemon or `tend run`). */
export interface WatchHost {
  /** The app's current spec and status; undefined once it is deleted. */
  app(id: number): { spec: AppSpec; status: ProcessStatus } | undefined;
  /** A watch restart: the old process tree is gone before the new one starts. */
  restart(id: number, burst: Burst, shown: string): Promise<unknown>;
  /** TEND_HOME: never watched. */
  home: string;
  /** More files never watched (`tend run`'s own output redirected into the app's folder). */
  ownFiles?: string[];
  log(...args: WatchLogArgs): void;
  /** The supervisor's restart-rate floor, which watch restarts obey too. */
  floor: RestartFloor;
}

interface Entry {
  watcher: AppWatcher;
  key: string;
  restarting: boolean;
}

/** Statuses in which an app is meant to run, so its files are watched. */

/**
 * One watcher per watching app, kept in step with the apps' states: created when the app runs,
 * closed when it is stopped or deleted, replaced when its watch settings change. A burst of
 * changes while a restart is in progress waits for it and gives one more restart, never two.
 */
export class WatchManager {
  private readonly entries = new Map<number, Entry>();
  private closed = false;

  constructor(private readonly host: WatchHost) {}

  /** Called on every state change of an app. */
  sync(id: number): void {
    if (this.closed) return;
    const app = this.host.app(id);
    const entry = this.entries.get(id);
    const want = app !== undefined && app.spec.watch !== undefined && (WATCHING.has(app.status) || entry?.restarting === true);
    if (!want) {
      if (entry !== undefined) this.drop(id, entry);
      return;
    }
    // Everything the watcher is built from: a new spec that moves the app's log files (a reload
    // of its file with another out_file) needs a new watcher, or its own log would restart it.
    const logFiles = this.logFiles(app.spec);
    const key = JSON.stringify([app.spec.watch, app.spec.cwd, logFiles]);
    if (entry !== undefined && entry.key === key) return;
    if (entry !== undefined) this.drop(id, entry);
    this.open(id, app.spec, key, logFiles);
  }

  /** Never watched: the app's own log files (and the host's). */
  private logFiles(spec: AppSpec): string[] {
    return [spec.log.outFile, spec.log.errFile, spec.log.combinedFile, ...(this.host.ownFiles ?? [])].filter(
      (f): f is string => f !== null,
    );
  }

  private open(id: number, spec: AppSpec, key: string, logFiles: string[]): void {
    const watch = spec.watch;
    if (watch === undefined) return;
    const entry: Entry = { key, restarting: false, watcher: null as unknown as AppWatcher };
    entry.watcher = new AppWatcher(
      watch,
      { cwd: spec.cwd, home: this.host.home, logFiles },
      {
        burst: (b) => void this.onBurst(id, entry, b),
        notice: (text) => this.host.log('watch-notice', { id, name: spec.name, notice: text }),
        floor: this.host.floor,
      },
    );
    this.entries.set(id, entry);
    entry.watcher.start().then(
      () => this.host.log('watch-started', { id, name: spec.name, paths: watch.paths, ...pick(entry.watcher.status()) }),
      (err: Error) => this.host.log('watch-failed', { id, name: spec.name, error: err.message }),
    );
  }

  private async onBurst(id: number, entry: Entry, burst: Burst): Promise<void> {
    if (this.entries.get(id) !== entry) return;
    const shown = entry.watcher.display(burst.path);
    const name = this.host.app(id)?.spec.name;
    this.host.log('watch-restart', { id, name, path: shown, changes: burst.changes });
    entry.restarting = true;
    try {
      await this.host.restart(id, burst, shown);
    } catch (err) {
      this.host.log('watch-restart-failed', { id, name, error: (err as Error).message });
    } finally {
      entry.restarting = false;
      this.sync(id);
    }
  }

  private drop(id: number, entry: Entry): void {
    entry.watcher.close();
    this.entries.delete(id);
  }

  status(id: number): WatchStatus | undefined {
    return this.entries.get(id)?.watcher.status();
  }

  watching(id: number): boolean {
    return this.entries.has(id);
  }

  close(): void {
    this.closed = true;
    for (const [id, e] of this.entries) this.drop(id, e);
  }
}

function pick(s: WatchStatus): Pick<WatchStatus, 'mode' | 'watched'> {
  return { mode: s.mode, watched: s.watched };
}
