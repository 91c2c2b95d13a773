import type { SubscribableEventType } from './events.js';
import type { AppSpec } from './app-spec.js';
import type { DaemonInfo } from './daemon-info.js';
import type { LogSource, LogStream } from './logs.js';
import type { AppMetrics } from './metrics.js';
import type { ProcessDetail, ProcessInfo } from './process-info.js';

/** A name, a numeric id (as a string or number), or `all`. */
export type Target = string | number;

/** The verb a config file's apps were given: `tend apply|start|restart|reload <file>`. */
export type ApplyMode = 'apply' | 'start' | 'restart' | 'reload';
export const APPLY_MODES: readonly ApplyMode[] = ['apply', 'start', 'restart', 'reload'];
/** What `process.apply` did to the app. */
/**
 * What a verb of a file did to an app: `updated` = it took the file's new settings and nothing
 * ran (a scheduled job, which runs at its next time); `unchanged` = its settings were the file's.
 */
export type ApplyAction = 'created' | 'started' | 'restarted' | 'reloaded' | 'updated' | 'unchanged';
/** What `process.apply` did to one app, and the app's list rows after it. */
export interface ApplyResult {
  action: ApplyAction;
  process: ProcessInfo;
  rows: ProcessInfo[];
}
/** One app of `apply --dry-run`: what would happen and which settings (config keys, `env.NAME`) changed. */
export interface PlanStep {
  name: string;
  action: ApplyAction | 'deleted';
  changed: string[];
}

/**
 * Every RPC method, its parameters and its result. The daemon's handler map is typed against
 * this interface, so a method without a handler does not compile.
 */
export interface TendMethods {
  'daemon.info': (p: Record<string, never>) => DaemonInfo;
  /** Stop every app, then exit (tend kill). */
  'daemon.kill': (p: Record<string, never>) => { stopped: number };
  /** Exit, leaving every app running for the next daemon to adopt (tend daemon restart); `apps`: how many have a process. */
  'daemon.shutdown': (p: Record<string, never>) => { apps: number };
  /** Create and start a new app, or start a stopped app of the same name with the new spec. */
  'process.start': (p: { spec: AppSpec }) => ProcessInfo[];
  /**
   * One app of a config file, with the verb the user typed (`mode`): a missing app is created and
   * a stopped one started whatever the verb; a running one is left alone when its spec did not
   * change (`apply`) or restarted with the new spec (`apply` when changed, `start`, `restart`), or
   * reloaded (`reload`: a rolling, zero-downtime reload for cluster and socket-activated apps,
   * `parallel` instances at a time; a restart for the others). `action` says what was done;
   * `rows` are the app's list rows (one per instance of a cluster app), `process` the first.
   */
  'process.apply': (p: { spec: AppSpec; mode: ApplyMode; parallel?: number }) => ApplyResult;
  /** What `process.apply` of each spec would do (changing nothing); with `pruneFile`, the apps of that file it no longer has are `deleted`. */
  'process.plan': (p: { specs: AppSpec[]; mode: ApplyMode; pruneFile?: string }) => PlanStep[];
  /** Start existing apps again (tend start <name|id|all>). */
  'process.startTarget': (p: { target: Target }) => ProcessInfo[];
  /** Runs scheduled jobs now (`tend trigger`), with their overlap policy when one still runs. */
  'job.trigger': (p: { target: Target }) => Array<{ id: number; name: string; outcome: 'started' | 'queued' | 'skipped' }>;
  'process.stop': (p: { target: Target }) => ProcessInfo[];
  'process.restart': (p: { target: Target }) => ProcessInfo[];
  /**
   * Zero-downtime reload: cluster and socket-activated apps replace their processes one at a
   * time (`parallel` at once), each new one ready before the old one stops; a new process that
   * exits or is not ready in time stops the reload and the old ones keep serving (E_RELOAD_FAILED).
   * Other apps are restarted. With `spec`, the app takes that spec (startOrReload of a file).
   */
  'process.reload': (p: { target: Target; parallel?: number }) => ProcessInfo[];
  /** Sets the number of instances (`+n`/`-n` relative), live, without touching running ones. */
  'process.scale': (p: { target: Target; instances: number; relative?: boolean }) => ProcessInfo[];
  'process.delete': (p: { target: Target }) => ProcessInfo[];
  /** Set the restart counters of the targets back to zero (PM2's `reset`). */
  'process.reset': (p: { target: Target }) => ProcessInfo[];
  'process.list': (p: Record<string, never>) => ProcessInfo[];
  'process.describe': (p: { target: Target; showSecrets?: boolean }) => ProcessDetail[];
  'process.signal': (p: { target: Target; signal: string }) => ProcessInfo[];
  'process.send': (p: { target: Target; line: string }) => { bytes: number; processes: number };
  /** Start a stream of `log:line` events for the targets (ended by closing the connection). */
  'logs.subscribe': (p: { target: Target; streams: LogStream[] }) => { subscription: number; apps: string[] };
  /**
   * Start a stream of daemon events (`process:state`, …) for the targets (default `all`, which
   * also follows apps created later) and types (default every subscribable type). Ended by
   * closing the connection; a subscriber that reads too slowly gets `subscription:dropped`.
   */
  'events.subscribe': (p: { target?: Target; types?: SubscribableEventType[] }) => { subscription: number; types: SubscribableEventType[] };
  /**
   * The log files holding the targets' history (default streams: both), for clients to read
   * back: one per stream, a merged file once, else the combined file. Every reader of history
   * (tend logs, monit, the Node API, the dashboard) asks this, never builds the list itself.
   */
  'logs.sources': (p: { target: Target; streams?: LogStream[] }) => LogSource[];
  /** Reopen every log file (after an external logrotate). */
  'logs.reopen': (p: Record<string, never>) => { files: number };
  /** Write the desired set (every app's spec and environment) to the dump, keeping the previous as a backup. */
  /** `apps`: the names saved; `processes`: what `list` shows of them (one per instance), as resurrect starts them. */
  'dump.save': (p: { force?: boolean }) => { file: string; apps: string[]; processes?: number };
  /** Start every app of the dump (falling back to its backup) that is not already running. */
  /** `apps`: the processes started (one per instance); `started`: how many apps. */
  'dump.resurrect': (p: Record<string, never>) => { apps: ProcessInfo[]; source: 'dump' | 'backup'; notices: string[]; started?: number };
  /** Empty the log files (and remove archives) of the targets, safely while they run. */
  'logs.flush': (p: { target: Target }) => { files: number };
  /** What the sampler knows of the targets (default all), with each app's history when asked (points after `since`). */
  'metrics.get': (p: { target?: Target; history?: boolean; since?: number }) => { intervalMs: number; apps: AppMetrics[] };
  /**
   * A `metrics` event after every sample (without history) until the connection closes; the
   * sampler runs at its fast rate while anyone is subscribed.
   */
  'metrics.subscribe': (p: { target?: Target }) => { subscription: number; intervalMs: number };
  /**
   * Serve the dashboard, JSON API and /metrics (default 127.0.0.1:9615); resolves once serving.
   * Remembered in the home: a restarted daemon serves again.
   */
  'web.start': (p: { host?: string; port?: number }) => WebStatus;
  'web.stop': (p: Record<string, never>) => { stopped: boolean };
  'web.status': (p: Record<string, never>) => WebStatus | null;
}

/** Where the dashboard listens, and the token every request needs. */
export interface WebStatus {
  url: string;
  host: string;
  port: number;
  token: string;
  loopback: boolean;
}

export type MethodName = keyof TendMethods;
export type MethodParams<K extends MethodName> = Parameters<TendMethods[K]>[0];
export type MethodResult<K extends MethodName> = ReturnType<TendMethods[K]>;

/** What the web API's `POST /api/processes/<app>/<action>` does, and the method each calls. */
export const WEB_ACTIONS = {
  restart: 'process.restart',
  stop: 'process.stop',
  start: 'process.startTarget',
  reload: 'process.reload',
} as const satisfies Record<string, MethodName>;
export type WebAction = keyof typeof WEB_ACTIONS;
