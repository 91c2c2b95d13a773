import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir } from '../lib/ensure-dir.js';
import { Health } from '../lib/health.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessInfo, ProcessStatus } from '../protocol/process-info.js';
import { AT_REST } from '../protocol/status-groups.js';
import { tendPaths } from '../store/paths.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { WatchManager, type WatchLogArgs } from '../watch/watch-manager.js';
import { WATCH_RESTART_FLOOR } from '../supervisor/restart-policy.js';
import { PrefixedOutput, type OutputFormat } from './prefixed-output.js';
import { Reaper } from './reaper.js';

export interface ForegroundOptions extends OutputFormat {
  specs: AppSpec[];
  write(text: string): void;
}

/** Statuses in which an app will not run again by itself. */
/** Signals passed on to every app as they are (stop signals stop the apps instead). */
const FORWARDED: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGWINCH'];

/**
 * `tend run`: the apps under the same supervisor as the daemon's (same restart policy, same
 * stop: kill_signal, kill_timeout, whole tree), in this process, with output in this terminal.
 * Exit code: 0 when every app stopped cleanly, 1 when one reached `errored`.
 */
export async function runForeground(opts: ForegroundOptions): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), 'tend-run-'));
  const paths = tendPaths(home);
  for (const dir of [paths.home, paths.logDir, paths.pipeDir]) ensureDir(dir);
  const output = new PrefixedOutput(opts, opts.write);
  output.names(opts.specs.map((s) => s.name));
  const names = new Map<number, string>();
  const errored = new Set<string>();
  const status = new Map<number, ProcessStatus>();
  const exitSeen = new Map<number, number>();
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  // Streams that have written since their last end-of-file: read to the end before exiting.
  const openStreams = new Map<number, Set<string>>();
  const drained = waiter(() => [...openStreams.values()].every((s) => s.size === 0));

  const reaper = new Reaper();
  const pid1 = process.pid === 1;
  const why = reaper.start(!pid1);
  if (why !== null && pid1) output.notice(`warning: ${why}`);

  const supervisor: Supervisor = new Supervisor({
    paths,
    now: Date.now,
    log: () => undefined,
    onState: (info: ProcessInfo) => {
      watches.sync(info.id);
      // A new exit is a new lastExit record (typed), not a daemon-log event name.
      const exit = info.lastExit;
      if (exit !== null && exit.at !== exitSeen.get(info.id)) {
        exitSeen.set(info.id, exit.at);
        if (!stopping) output.notice(`${info.name} exited (${exit.signal ?? `code ${String(exit.code)}`})`);
      }
      const before = status.get(info.id);
      status.set(info.id, info.status);
      if (info.status === 'errored' && before !== 'errored') {
        errored.add(info.name);
        output.notice(`${info.name} errored: ${info.reason ?? 'gave up restarting'}`);
        // A failed task (an init step) fails the whole run, as a container's init does.
        if (opts.specs.some((sp) => sp.name === info.name && sp.task === true))
          setImmediate(() => void stopAll(`task ${info.name} failed`));
      }
      if (status.size === opts.specs.length && [...status.values()].every((s) => AT_REST.has(s))) {
        setImmediate(() => finish(errored.size > 0 ? 1 : 0));
      }
    },
    logs: {
      sinkFor: (id) =>
        output.sink(
          () => names.get(id) ?? String(id),
          (stream, open) => {
            const set = openStreams.get(id) ?? new Set<string>();
            openStreams.set(id, set);
            if (open) set.add(stream);
            else set.delete(stream);
            if (!open) drained.check();
          },
        ),
      configure: (id, spec) => names.set(id, spec.name),
      remove: () => undefined,
      pathsOf: () => ({ out: null, err: null, combined: null }),
    },
    health: new Health(),
  });
  const watches = new WatchManager({
    home,
    ownFiles: outputFiles(),
    log: (...[event, data]: WatchLogArgs) => {
      if (event === 'watch-restart')
        output.notice(
          `${data.name ?? data.id}: ${data.path} changed${data.changes > 1 ? ` (and ${data.changes - 1} more)` : ''}, restarting`,
        );
      else if (event === 'watch-notice') output.notice(`${data.name}: ${data.notice}`);
    },
    app: (id) => {
      const h = supervisor.list().find((p) => p.id === id);
      const spec = h === undefined ? undefined : supervisor.handle(id)?.spec;
      return h === undefined || spec === undefined ? undefined : { spec, status: h.status };
    },
    // Cluster and socket-activated apps reload with no downtime; others restart.
    restart: (id) => supervisor.reloadApp(id),
    floor: WATCH_RESTART_FLOOR,
  });

  const stopAll = async (why: string): Promise<void> => {
    if (stopping) {
      // A second Ctrl-C while stopping: stop now (SIGKILL to what is left).
      output.notice('stopping now');
      await supervisor.stop('all').catch(() => undefined);
      return;
    }
    stopping = true;
    output.notice(`${why}: stopping ${opts.specs.length === 1 ? 'the app' : `${opts.specs.length} apps`}`);
    watches.close();
    await supervisor.stop('all');
    finish(errored.size > 0 ? 1 : 0);
  };
  const onStop = (sig: NodeJS.Signals) => (): void => void stopAll(sig);
  const stops: Array<[NodeJS.Signals, () => void]> = (['SIGINT', 'SIGTERM', ...(pid1 ? [] : ['SIGHUP'])] as NodeJS.Signals[]).map((s) => [
    s,
    onStop(s),
  ]);
  for (const [s, fn] of stops) process.on(s, fn);
  // As PID 1, SIGHUP is a request for the apps (reload), not a closed terminal: pass it on.
  const passed = pid1 ? [...FORWARDED, 'SIGHUP' as NodeJS.Signals] : FORWARDED;
  const forwards: Array<[NodeJS.Signals, () => void]> = passed.map((s) => [
    s,
    () => {
      supervisor.signal('all', s).catch(() => {
        /* nothing running */
      });
    },
  ]);
  for (const [s, fn] of forwards) process.on(s, fn);
  // `rs` + Enter restarts every app (nodemon's habit).
  const onInput = (chunk: Buffer): void => {
    if (
      stopping ||
      !chunk
        .toString('utf8')
        .split('\n')
        .some((l) => l.trim() === 'rs')
    )
      return;
    output.notice('restarting every app');
    void supervisor.restart('all').catch(() => undefined);
  };
  process.stdin.on('data', onInput);
  process.stdin.on('error', () => undefined);

  supervisor.restore();
  for (const spec of opts.specs) {
    output.notice(`starting ${spec.name}${spec.watch === undefined ? '' : ` (watching ${spec.watch.paths.join(', ')})`}`);
    await supervisor.start(spec).catch((err: Error) => output.notice(`${spec.name}: ${err.message}`));
  }
  const code = await finished;
  // The last lines of the apps are still in their pipes: read them (at most 2 s).
  await drained.wait(2000);
  for (const [s, fn] of [...stops, ...forwards]) process.off(s, fn);
  process.stdin.off('data', onInput);
  process.stdin.destroy();
  watches.close();
  supervisor.detachAll();
  reaper.sweep();
  reaper.stop();
  rmSync(home, { recursive: true, force: true });
  output.notice(`all apps stopped${errored.size > 0 ? `; errored: ${[...errored].join(', ')}` : ''} (exit ${code})`);
  return code;
}

/** Files our stdout/stderr are redirected to (`tend run app.js --watch > run.log`): a write there must not restart. */
function outputFiles(): string[] {
  const out: string[] = [];
  for (const fd of [1, 2]) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith('/')) out.push(target);
    } catch {
      /* no /proc */
    }
  }
  return out;
}

/** A condition checked on demand, awaited with a time limit. */
function waiter(condition: () => boolean): { check(): void; wait(ms: number): Promise<void> } {
  let wake: (() => void) | null = null;
  return {
    check: () => {
      if (wake !== null && condition()) wake();
    },
    wait: (ms) =>
      new Promise<void>((resolve) => {
        if (condition()) return resolve();
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  };
}
