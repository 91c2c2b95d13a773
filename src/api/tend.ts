import { resolve } from 'node:path';
import { connectOrLaunch } from '../client/connect.js';
import { checkDependencies, startOrder } from '../config/depends-graph.js';
import { inheritableEnv } from '../config/env.js';
import { isConfigFile, loadConfigFile } from '../config/load.js';
import { normalizeApp } from '../config/normalize.js';
import { TendError } from '../errors.js';
import { mergeByTime, oneRowPerApp, readRecords } from '../logs/read.js';
import type { DaemonEvent, SubscribableEventType } from '../protocol/events.js';
import type { ApplyMode, MethodResult, Target } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { DaemonInfo } from '../protocol/daemon-info.js';
import type { LogRecord, LogStream } from '../protocol/logs.js';
import type { ProcessDetail, ProcessInfo } from '../protocol/process-info.js';
import type { RpcClient } from '../rpc/client.js';
import { resolveHome, tendPaths, type TendPaths } from '../store/paths.js';
import { subscriptionIterator } from './stream.js';

/** An app as in an ecosystem file: `{ name, script, args, env, instances, … }` (see `tend help config`). */
export type AppConfig = { script: string; name?: string } & Record<string, unknown>;

export interface ConnectOptions {
  /** The tend home (default: TEND_HOME, else ~/.tend). */
  home?: string;
  /** Start a daemon when none runs (default true), as the CLI does. */
  launch?: boolean;
  /** Environment the started apps inherit (default: this process's, minus login-session variables). */
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths of apps and config files (default: process.cwd()). */
  cwd?: string;
}

export interface StartOptions {
  /** With a config file: its `env_<name>` blocks (the CLI's `--env production`). */
  env?: string;
  /** With a config file: only these apps. */
  only?: string[];
  /** Restart apps even when their spec did not change (the CLI's `tend restart <file>`): `mode: 'restart'`. */
  restart?: boolean;
  /**
   * What to do to running apps: `apply` (default: restart only those whose spec changed),
   * `start`/`restart` (restart them all), `reload` (zero-downtime for cluster apps, the CLI's
   * `tend reload <file>`). Apps that do not run are started whatever the mode.
   */
  mode?: ApplyMode;
}

export type StartResult = ProcessInfo & { action: MethodResult<'process.apply'>['action'] };

export interface LogsOptions {
  /** Lines of history first, from the log files (default 15; 0 = none). */
  lines?: number;
  /** Keep going with new lines until the iterator is closed (default false: history only). */
  follow?: boolean;
  streams?: LogStream[];
}

export interface EventsOptions {
  /** Default `all` (apps created later included). */
  target?: Target;
  types?: SubscribableEventType[];
}

/** A connection to the tend daemon: the CLI's operations as typed methods. */
export class Tend {
  private constructor(
    private readonly rpc: RpcClient,
    private readonly paths: TendPaths,
    private readonly opts: ConnectOptions,
  ) {}

  static async connect(opts: ConnectOptions = {}): Promise<Tend> {
    if (process.platform !== 'linux') {
      throw new TendError(
        'E_UNSUPPORTED_PLATFORM',
        `tend runs on Linux only (it needs /proc, abstract Unix sockets and prctl); this is ${process.platform}`,
        { hint: 'Run it in a Linux VM or container.' },
      );
    }
    const paths = tendPaths(opts.home !== undefined ? resolve(opts.home) : resolveHome(process.env));
    return new Tend(await Tend.open(paths, opts), paths, opts);
  }

  private static async open(paths: TendPaths, opts: ConnectOptions): Promise<RpcClient> {
    if (opts.launch === false) {
      const { connectIfRunning } = await import('../client/connect.js');
      const c = await connectIfRunning(paths);
      if (c === null)
        throw new TendError('E_DAEMON_UNREACHABLE', `no tend daemon runs for ${paths.home}`, {
          hint: 'Start one with `tend ping`, or connect with { launch: true }.',
        });
      return c;
    }
    return connectOrLaunch(paths, () => undefined);
  }

  /** The home this client talks to. */
  get home(): string {
    return this.paths.home;
  }

  private get cwd(): string {
    return this.opts.cwd ?? process.cwd();
  }

  private get inherited(): Record<string, string> {
    return inheritableEnv(this.opts.env ?? process.env);
  }

  /**
   * Starts (or updates, like `tend start <file>`) apps: a config file path, one app object, or a
   * list of app objects using the ecosystem keys. Running apps whose spec did not change are left
   * alone and changed ones restart, unless `mode` says otherwise.
   */
  async start(app: string | AppConfig | AppConfig[], options: StartOptions = {}): Promise<StartResult[]> {
    let specs: AppSpec[];
    if (typeof app === 'string') {
      if (!isConfigFile(app))
        throw new TendError('E_USAGE', `${app} is not a config file`, {
          hint: 'Pass an ecosystem/tend config file path, or an app object: start({ name, script })',
        });
      const loaded = await loadConfigFile(resolve(this.cwd, app), {
        cwd: this.cwd,
        env: this.inherited,
        envName: options.env,
        only: options.only,
      });
      specs = loaded.apps;
    } else {
      const list = Array.isArray(app) ? app : [app];
      if (list.length === 0) throw new TendError('E_USAGE', 'no app to start');
      specs = list.map((raw, i) => {
        if (typeof raw !== 'object' || raw === null)
          throw new TendError('E_USAGE', `app ${i} is not an object`, { hint: 'Example: start({ name: "api", script: "server.js" })' });
        const label = typeof raw.name === 'string' ? `app "${raw.name}"` : `app ${i}`;
        return normalizeApp(raw, { baseDir: this.cwd, env: this.inherited, source: label, envName: options.env, pm2: true }).spec;
      });
      checkDependencies(specs, new Set(specs.map((s) => s.name)), 'start()');
      specs = startOrder(specs);
    }
    const results = await Promise.all(
      specs.map((spec) => this.rpc.call('process.apply', { spec, mode: options.mode ?? (options.restart === true ? 'restart' : 'apply') })),
    );
    return results.map((r) => ({ ...r.process, action: r.action }));
  }

  /** Starts existing (stopped or errored) apps again: `tend start <name|id|all>`. */
  startTarget(target: Target): Promise<ProcessInfo[]> {
    return this.rpc.call('process.startTarget', { target });
  }

  stop(target: Target): Promise<ProcessInfo[]> {
    return this.rpc.call('process.stop', { target });
  }

  restart(target: Target): Promise<ProcessInfo[]> {
    return this.rpc.call('process.restart', { target });
  }

  /** Zero-downtime reload of cluster and socket-activated apps (one process at a time); other apps restart. */
  reload(target: Target, options: { parallel?: number } = {}): Promise<ProcessInfo[]> {
    return this.rpc.call('process.reload', { target, ...(options.parallel !== undefined ? { parallel: options.parallel } : {}) });
  }

  delete(target: Target): Promise<ProcessInfo[]> {
    return this.rpc.call('process.delete', { target });
  }

  /** The objects of `tend list --json`. */
  list(): Promise<ProcessInfo[]> {
    return this.rpc.call('process.list', {});
  }

  describe(target: Target, options: { showSecrets?: boolean } = {}): Promise<ProcessDetail[]> {
    return this.rpc.call('process.describe', { target, showSecrets: options.showSecrets === true });
  }

  signal(target: Target, signal: string): Promise<ProcessInfo[]> {
    return this.rpc.call('process.signal', { target, signal });
  }

  /** Writes a line to the app's stdin. */
  send(target: Target, line: string): Promise<{ bytes: number; processes: number }> {
    return this.rpc.call('process.send', { target, line });
  }

  save(options: { force?: boolean } = {}): Promise<{ file: string; apps: string[] }> {
    return this.rpc.call('dump.save', { force: options.force === true });
  }

  resurrect(): Promise<{ apps: ProcessInfo[]; source: 'dump' | 'backup'; notices: string[] }> {
    return this.rpc.call('dump.resurrect', {});
  }

  flush(target: Target): Promise<{ files: number }> {
    return this.rpc.call('logs.flush', { target });
  }

  daemon(): Promise<DaemonInfo> {
    return this.rpc.call('daemon.info', {});
  }

  /**
   * Log records of the target's apps: the last `lines` of history (merged in time order), then,
   * with `follow`, new lines as they are written. Close with `break` (or `return()`).
   */
  async logs(target: Target = 'all', options: LogsOptions = {}): Promise<AsyncIterableIterator<LogRecord>> {
    const streams = options.streams ?? ['out', 'err'];
    const lines = options.lines ?? 15;
    if (!Number.isInteger(lines) || lines < 0) throw new TendError('E_USAGE', '`lines` must be a whole number ≥ 0');
    const details = oneRowPerApp(await this.describe(target));
    const readApp = async (id: number): Promise<LogRecord[]> => {
      const sources = await this.rpc.call('logs.sources', { target: id, streams });
      return mergeByTime(await Promise.all(sources.map((s) => readRecords(s, lines)))).slice(-lines);
    };
    const history = lines === 0 ? [] : mergeByTime(await Promise.all(details.map((d) => readApp(d.id))));
    if (options.follow !== true) {
      let i = 0;
      const it: AsyncIterableIterator<LogRecord> = {
        next: async () => (i < history.length ? { value: history[i++] as LogRecord, done: false } : { value: undefined, done: true }),
        return: async () => {
          i = history.length;
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]: () => it,
      };
      return it;
    }
    const conn = await Tend.open(this.paths, this.opts);
    const iterator = subscriptionIterator(
      conn,
      (e) => (e.type === 'log:line' && streams.includes(e.record.stream) ? e.record : null),
      history,
    );
    try {
      if (target === 'all') await conn.call('logs.subscribe', { target, streams });
      else for (const d of details) await conn.call('logs.subscribe', { target: d.id, streams });
    } catch (err) {
      conn.close();
      throw err;
    }
    return iterator;
  }

  /** Daemon events (`process:state` for every change of an app's state) as they happen. */
  async events(options: EventsOptions = {}): Promise<AsyncIterableIterator<DaemonEvent>> {
    const conn = await Tend.open(this.paths, this.opts);
    const iterator = subscriptionIterator(conn, (e) => (e.type === 'log:line' ? null : e));
    try {
      await conn.call('events.subscribe', {
        target: options.target ?? 'all',
        ...(options.types !== undefined ? { types: options.types } : {}),
      });
    } catch (err) {
      conn.close();
      throw err;
    }
    return iterator;
  }

  /** Closes the connection (apps keep running; the daemon too). */
  close(): void {
    this.rpc.close();
  }
}
