import { cpus, freemem, hostname, loadavg, totalmem, uptime } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TendError } from '../errors.js';
import { mergeByTime, readRecords } from '../logs/read.js';
import { WEB_ACTIONS, type WebAction } from '../protocol/methods.js';
import type { DaemonInfo } from '../protocol/daemon-info.js';
import type { ProcessDetail } from '../protocol/process-info.js';
import { checkTarget } from '../rpc/params.js';
import type { Handlers } from '../rpc/server.js';
import { NO_CONNECTION, SseConnection } from './sse.js';
import { renderPrometheus } from './prometheus.js';
import { json, plain } from './replies.js';

export interface ApiDeps {
  handlers: Handlers;
  info(): DaemonInfo;
}

const ACTION_PATH = new RegExp(`^/api/processes/([^/]+)/(${Object.keys(WEB_ACTIONS).join('|')})$`);

function systemInfo(): Record<string, unknown> {
  return {
    hostname: hostname(),
    platform: process.platform,
    cpus: cpus().length,
    loadavg: loadavg(),
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    uptimeSeconds: Math.round(uptime()),
  };
}

/** `name` or numeric id from the path; `all` is refused (the API acts on one app at a time). */
function target(raw: string): string | number {
  const t = decodeURIComponent(raw);
  if (t === 'all') throw new TendError('E_USAGE', 'name one app (or its id)');
  return checkTarget(t);
}

/**
 * The app a target names, as the daemon resolves it (an instance id: that instance's row). A
 * target that names several apps (a namespace, a config file) is refused like `all`: the API
 * describes and acts on one app at a time.
 */
async function describeOne(deps: ApiDeps, t: string | number): Promise<ProcessDetail> {
  const rows = await deps.handlers['process.describe']({ target: t }, NO_CONNECTION);
  const [d] = rows;
  if (d === undefined) throw new TendError('E_APP_NOT_FOUND', `no app \`${String(t)}\``);
  const names = [...new Set(rows.map((r) => r.name))];
  if (names.length > 1)
    throw new TendError('E_USAGE', `\`${String(t)}\` names ${names.length} apps (${names.join(', ')}): name one app (or its id)`);
  return d;
}

/** A whole-number query parameter (`?lines=100`); anything else is the client's mistake (400), never a silent 0. */
function wholeNumber(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n))
    throw new TendError('E_INVALID_VALUE', `\`${name}=${raw.slice(0, 40)}\` is not a whole number`, {
      hint: `Example: ?${name}=100`,
    });
  return n;
}

/** The JSON API, the event stream and /metrics (the caller checked the token). */
export async function routeApi(req: IncomingMessage, res: ServerResponse, url: URL, deps: ApiDeps): Promise<void> {
  const h = deps.handlers;
  const path = url.pathname;
  const get = req.method === 'GET';
  let m: RegExpExecArray | null;
  if (get && path === '/metrics') {
    const list = await h['process.list']({}, NO_CONNECTION);
    const { apps } = await h['metrics.get']({}, NO_CONNECTION);
    const details = list.length === 0 ? [] : await h['process.describe']({ target: 'all' }, NO_CONNECTION);
    const cpu = process.cpuUsage();
    const text = renderPrometheus({
      daemon: deps.info(),
      daemonCpuSeconds: (cpu.user + cpu.system) / 1e6,
      apps: list.map((info) => {
        const d = details.find((x) => x.id === info.id);
        const metrics = apps.find((a) => a.id === info.id) ?? {
          id: info.id,
          name: info.name,
          main: null,
          cpuPercent: null,
          memoryBytes: null,
          cpuSeconds: 0,
          processes: 0,
          history: [],
        };
        return {
          info,
          metrics,
          limitRestarts: d?.limitRestarts ?? { memory: 0, cron: 0, health: 0 },
          hasHealthCheck: d?.spec.health != null,
          holder: d?.holder,
          memoryLimitBytes: d?.spec.maxMemoryRestartBytes ?? null,
        };
      }),
    });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(text);
    return;
  }
  if (get && path === '/api/processes') {
    return json(res, 200, {
      system: systemInfo(),
      daemon: deps.info(),
      processes: await h['process.list']({}, NO_CONNECTION),
      actions: actionsAvailable(h),
    });
  }
  if (get && (m = /^\/api\/processes\/([^/]+)$/.exec(path)) !== null) {
    const d = await describeOne(deps, target(m[1] as string));
    const since = wholeNumber(url, 'since', 0);
    const { apps } = await h['metrics.get']({ target: d.id, history: true, since }, NO_CONNECTION);
    return json(res, 200, { process: d, metrics: apps[0] ?? null });
  }
  if (get && (m = /^\/api\/processes\/([^/]+)\/logs$/.exec(path)) !== null) {
    const d = await describeOne(deps, target(m[1] as string));
    const lines = Math.min(1000, wholeNumber(url, 'lines', 100));
    const sources = await h['logs.sources']({ target: d.id }, NO_CONNECTION);
    const lists = await Promise.all(sources.map((s) => readRecords(s, lines)));
    return json(res, 200, { lines: mergeByTime(lists).slice(-lines) });
  }
  if ((m = ACTION_PATH.exec(path)) !== null) {
    if (req.method !== 'POST') return plain(res, 405, 'Use POST\n');
    const method = WEB_ACTIONS[m[2] as WebAction];
    const handler = (h as unknown as Record<string, ((p: { target: string | number }, c: typeof NO_CONNECTION) => unknown) | undefined>)[
      method
    ];
    if (handler === undefined) throw new TendError('E_USAGE', `\`${m[2]}\` is not available in this version`);
    req.resume();
    const t = target(m[1] as string);
    await describeOne(deps, t);
    return json(res, 200, { processes: await handler({ target: t }, NO_CONNECTION) });
  }
  if (get && path === '/api/events') return openStream(res, url, deps);
  if (!get && req.method !== 'POST') return plain(res, 405, 'Method not allowed\n');
  return plain(res, 404, 'Not found\n');
}

function actionsAvailable(h: Handlers): string[] {
  return Object.entries(WEB_ACTIONS)
    .filter(([, method]) => method in h)
    .map(([name]) => name);
}

/**
 * `GET /api/events[?logs=<app>]`: a snapshot of the list, then process:state events, metrics
 * after every sample (the sampler runs fast while someone watches), and the app's log lines.
 */
async function openStream(res: ServerResponse, url: URL, deps: ApiDeps): Promise<void> {
  const h = deps.handlers;
  const logs = url.searchParams.get('logs');
  const logTarget = logs === null || logs === '' ? null : target(logs);
  if (logTarget !== null) await describeOne(deps, logTarget);
  const conn = new SseConnection(res);
  conn.send('processes', await h['process.list']({}, NO_CONNECTION));
  await h['events.subscribe']({}, conn);
  await h['metrics.subscribe']({}, conn);
  if (logTarget !== null) await h['logs.subscribe']({ target: logTarget, streams: ['out', 'err'] }, conn);
}
