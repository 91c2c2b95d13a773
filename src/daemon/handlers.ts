import { TendError } from '../errors.js';
import { isAbsolute } from 'node:path';
import { parseSignal } from '../lib/signals.js';
import { checkAppSpec } from '../config/spec-check.js';
import { APPLY_MODES, type ApplyMode, type Target } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { DaemonInfo } from '../protocol/daemon-info.js';
import type { ProcessDetail, ProcessInfo, WatchStatus } from '../protocol/process-info.js';
import { redactDetail } from '../protocol/secrets.js';
import { checkStreams, checkTarget, optionalTarget } from '../rpc/params.js';
import type { Handlers } from '../rpc/server.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { AppView } from '../supervisor/handle-types.js';
import type { LogRouter } from './log-router.js';
import type { EventBus } from './event-bus.js';
import { SUBSCRIBABLE_EVENT_TYPES, type SubscribableEventType } from '../protocol/events.js';
import { logPathsFor, logSourcesFor } from './log-router.js';
import type { TendPaths } from '../store/paths.js';
import { createDumpHandlers } from './dump-handlers.js';
import { createObserveHandlers } from './observe-handlers.js';
import type { Observer } from './observer.js';
import { createWebHandlers, type WebControl } from './web-handlers.js';

export interface HandlerDeps {
  supervisor: Supervisor;
  logs: LogRouter;
  events: EventBus;
  paths: TendPaths;
  observer: Observer;
  web: WebControl;
  info(): DaemonInfo;
  log(event: string, data: Record<string, unknown>): void;
  /** Exit after the reply is sent; `stopApps` = tend kill. */
  exit(stopApps: boolean): Promise<number>;
  /** Watch mode status of an app (undefined when it does not watch). */
  watchStatus?(id: number): WatchStatus | undefined;
}

const target = (p: { target?: unknown }): Target => checkTarget(p.target);

function positiveInt(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  throw new TendError('E_INVALID_VALUE', `Expected \`${field}\` to be a whole number of at least 1, got \`${String(v)}\``);
}

/** The verb of a `process.apply`: it decides what happens to a running app, so it is required. */
function applyMode(mode: unknown): ApplyMode {
  if (typeof mode === 'string' && (APPLY_MODES as readonly string[]).includes(mode)) return mode as ApplyMode;
  throw new TendError('E_USAGE', `Expected \`mode\` to be one of ${APPLY_MODES.join(', ')}, got \`${String(mode)}\``, {
    hint: 'Say what to do to a running app: apply (only if changed), start or restart (restart it), reload (zero-downtime for cluster apps).',
  });
}

/** A spec from the wire gets the CLI's own schema check: a foreign client is not trusted. */
function checkSpec(spec: unknown): AppSpec {
  return checkAppSpec(spec, 'app spec from the socket');
}

function eventTypes(types: unknown): SubscribableEventType[] {
  if (types === undefined) return [...SUBSCRIBABLE_EVENT_TYPES];
  const known: readonly string[] = SUBSCRIBABLE_EVENT_TYPES;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && known.includes(t))) {
    throw new TendError('E_USAGE', `event types must be a non-empty list of: ${known.join(', ')}`);
  }
  return [...new Set(types as SubscribableEventType[])];
}

/** One list row's detail (`tend describe`): a pooled app's instances with their own status, pid and tree. */
function describeRow(deps: HandlerDeps, h: AppView, row: ProcessInfo, showSecrets: boolean): ProcessDetail {
  const watch = deps.watchStatus?.(h.id);
  const pool = h.pool;
  const rows = pool === null ? [] : deps.supervisor.rowsOfApp(h);
  const detail: ProcessDetail = {
    ...row,
    ...(pool === null
      ? h.lastReload === null
        ? {}
        : { lastReload: h.lastReload }
      : {
          instances: rows.map((r) => ({
            id: r.id,
            instance: r.instance ?? 0,
            pid: r.pid,
            status: r.status,
            restarts: r.restarts,
            startedAt: r.startedAt,
          })),
          lastReload: pool.lastReload,
          // The holder's own figures once, on the app's first row.
          ...(row.id === rows[0]?.id ? { holder: deps.observer.holderFigures(h.id, h.pid) } : {}),
        }),
    spec: h.spec,
    logs: logPathsFor(deps.paths, h.spec, h.id),
    unstableRestarts: h.snapshot.history.unstableRestarts,
    logError: deps.logs.errorOf(h.id),
    ...(watch === undefined ? {} : { watch }),
    ...deps.observer.detail(h.id, h.pid, pool === null ? null : { id: row.id, pid: row.pid }),
  };
  return showSecrets ? detail : redactDetail(detail);
}

/** Implements the method map by delegating: no business logic here. */
export function createHandlers(deps: HandlerDeps): Handlers {
  const { supervisor, logs } = deps;
  // One counter for every subscription of the daemon (logs, events, metrics).
  let lastSubscription = 0;
  const nextSubscription = (): number => ++lastSubscription;
  return {
    ...createDumpHandlers({ supervisor, paths: deps.paths }),
    ...createObserveHandlers({ supervisor, observer: deps.observer, log: deps.log, nextSubscription }),
    ...createWebHandlers(deps.web),
    'daemon.info': () => deps.info(),
    'daemon.kill': async () => ({ stopped: await deps.exit(true) }),
    'daemon.shutdown': async () => ({ apps: await deps.exit(false) }),
    'process.start': (p) => supervisor.start(checkSpec(p.spec)),
    'process.apply': (p) => supervisor.apply(checkSpec(p.spec), applyMode(p.mode), positiveInt(p.parallel, 'parallel') ?? 1),
    'process.plan': (p) => {
      if (!Array.isArray(p.specs)) throw new TendError('E_USAGE', '`specs` must be a list of app specs');
      if (p.pruneFile !== undefined && (typeof p.pruneFile !== 'string' || !isAbsolute(p.pruneFile)))
        throw new TendError('E_USAGE', '`pruneFile` must be an absolute path');
      return supervisor.plan(
        p.specs.map((s) => checkSpec(s)),
        applyMode(p.mode),
        p.pruneFile ?? null,
      );
    },
    'process.startTarget': (p) => supervisor.startTarget(target(p)),
    'process.stop': async (p) => withAlongside(await supervisor.stop(target(p)), deps.observer, (id) => supervisor.stop(id)),
    'process.restart': (p) => supervisor.restart(target(p)),
    'process.reload': (p) => supervisor.reload(target(p), { parallel: positiveInt(p.parallel, 'parallel') ?? 1 }),
    'process.scale': (p) => {
      if (typeof p.instances !== 'number' || !Number.isInteger(p.instances))
        throw new TendError('E_INVALID_VALUE', 'Expected `instances` to be a whole number', {
          hint: 'Example: tend scale api 4, or +2 / -1',
        });
      return supervisor.scale(target(p), p.instances, p.relative === true);
    },
    'process.delete': async (p) => withAlongside(await supervisor.delete(target(p)), deps.observer, (id) => supervisor.delete(id)),
    'process.reset': (p) => supervisor.reset(target(p)),
    'process.list': () => supervisor.listRows(),
    // One record per list row: a pooled app's instances each with their own status, pid and tree.
    'process.describe': (p) =>
      supervisor.resolveRows(target(p)).map(({ handle, row }) => describeRow(deps, handle, row, p.showSecrets === true)),
    'process.signal': (p) => supervisor.signal(target(p), parseSignal(p.signal)),
    'process.send': (p) => {
      if (typeof p.line !== 'string') throw new TendError('E_USAGE', 'a line of text is required');
      return supervisor.send(target(p), p.line);
    },
    'logs.subscribe': (p, conn) => {
      // An instance id follows its app's output (the instances of a pooled app share its log files).
      const handles = [...new Set(supervisor.resolveRows(target(p)).map((r) => r.handle))];
      const streams = checkStreams(p.streams);
      const subscription = nextSubscription();
      // A follower that reads too slowly is told why and disconnected; it never slows an app.
      // `all` also follows apps started later.
      const ids = p.target === 'all' ? null : handles.map((h) => h.id);
      const sub = logs.subscribe(
        { ids, streams },
        (record) => conn.sendEvent(subscription, { type: 'log:line', record }),
        (reason) => {
          deps.log('follower-dropped', { subscription, reason });
          conn.sendEvent(subscription, { type: 'subscription:dropped', reason });
          conn.end();
        },
      );
      conn.onDrain(() => sub.drain());
      conn.onClose(() => sub.close());
      return { subscription, apps: handles.map((h) => h.spec.name) };
    },
    'events.subscribe': (p, conn) => {
      const types = eventTypes(p.types);
      const t = optionalTarget(p.target);
      // `all` also follows apps created later; other targets are resolved now (unknown → E_NOT_FOUND).
      const ids = t === 'all' ? null : new Set(supervisor.resolveRows(t).map((r) => r.row.id));
      const subscription = nextSubscription();
      const sub = deps.events.subscribe(
        { types: types.length === SUBSCRIBABLE_EVENT_TYPES.length ? null : new Set(types), ids },
        (event) => conn.sendEvent(subscription, event),
        (reason) => {
          deps.log('subscriber-dropped', { subscription, reason });
          conn.sendEvent(subscription, { type: 'subscription:dropped', reason });
          conn.end();
        },
      );
      conn.onDrain(() => sub.drain());
      conn.onClose(() => sub.close());
      return { subscription, types };
    },
    'logs.sources': (p) => {
      const streams = checkStreams(p.streams);
      // An instance id reads its app's files (the instances of a pooled app share them).
      const handles = [...new Set(supervisor.resolveRows(target(p)).map((r) => r.handle))];
      return handles.flatMap((h) => logSourcesFor(deps.paths, h.spec, h.id, streams));
    },
    'logs.reopen': () => ({ files: logs.reopen() }),
    // An instance id flushes its app's files (the instances of a pooled app share them).
    'logs.flush': (p) => ({ files: logs.flush([...new Set(supervisor.resolveRows(target(p)).map((r) => r.handle.id))]) }),
  };
}

/**
 * A job's runs alongside (overlap: allow) go with it: `tend stop <job>` stops them too, `tend
 * delete <job>` deletes them. One that ended meanwhile (and was deleted) is passed over.
 */
async function withAlongside(rows: ProcessInfo[], observer: Observer, act: (id: number) => Promise<ProcessInfo[]>): Promise<ProcessInfo[]> {
  const done = new Set(rows.map((r) => r.id));
  const more: ProcessInfo[] = [];
  for (const id of observer.alongsideOf([...done])) {
    if (done.has(id)) continue;
    try {
      more.push(...(await act(id)));
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'E_APP_NOT_FOUND') throw err;
    }
  }
  return [...rows, ...more];
}
