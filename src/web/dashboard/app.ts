// The tend dashboard. Every value from the daemon is put on the page as text (textContent),
// never as HTML: app names, arguments, environment values and log lines cannot run code here.
// Bundled by scripts/bundle.mjs into dist/web/app.js; type-checked with ./tsconfig.json (DOM, no Node).
import type { DaemonInfo } from '../../protocol/daemon-info.js';
import type { LogRecord } from '../../protocol/logs.js';
import type { AppMetrics } from '../../protocol/metrics.js';
import type { ProcessDetail, ProcessInfo } from '../../protocol/process-info.js';
import type { DaemonEvent, ProcessStateEvent } from '../../protocol/events.js';
import { appLabel } from '../../protocol/app-label.js';
import { formatPorts } from '../../protocol/ports.js';
import { formatJob } from '../../protocol/job-text.js';
import { isActive, isUp } from '../../protocol/status-groups.js';
import { makeChart, type Chart } from './charts.js';

/** What the dashboard's HTTP API answers (src/web/api-routes.ts). */
interface Overview {
  system: { hostname: string };
  daemon: DaemonInfo;
  processes: ProcessInfo[];
  actions: string[];
}
interface Described {
  process: ProcessDetail;
  metrics: AppMetrics | null;
}
type MetricsEvent = Extract<DaemonEvent, { type: 'metrics' }>;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const TOKEN_KEY = 'tend-token';
const MAX_LOG_LINES = 500;

// The token comes in the URL fragment (never sent to a server); keep it for this tab only.
const fromHash = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
if (fromHash) {
  sessionStorage.setItem(TOKEN_KEY, fromHash[1] as string);
  history.replaceState(null, '', location.pathname);
}
const token = sessionStorage.getItem(TOKEN_KEY) || '';
const auth = { Authorization: 'Bearer ' + token };

const state: {
  apps: Map<number, ProcessInfo>;
  selected: number | null;
  actions: string[];
  stream: AbortController | null;
  charts: { cpu: Chart; mem: Chart } | null;
  held: LogRecord[] | null;
  /** `tend 0.1.0 · daemon 4242`, before the app count the table keeps current. */
  daemon: string;
} = { apps: new Map(), selected: null, actions: [], stream: null, charts: null, held: null, daemon: '' };

function problem(text: string): void {
  const p = $('problem');
  p.textContent = text;
  p.hidden = !text;
}

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, Object.assign({ headers: auth }, init || {}));
  if (res.status === 401) {
    problem('The token is missing or wrong: open the URL that `tend web` prints (it ends with #token=…).');
    throw new Error('unauthorized');
  }
  const body = await res.json();
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body as T;
}

// --- formatting -----------------------------------------------------------------------
function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1024) return n + ' B';
  const u = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return v.toFixed(1) + ' ' + u[i];
}
function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm';
  const h = Math.floor(m / 60);
  return h < 48 ? h + 'h' : Math.floor(h / 24) + 'd';
}
function el(tag: string, cls?: string, text?: string | number | null): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// --- the table ------------------------------------------------------------------------
function renderTable(): void {
  const body = $<HTMLTableElement>('apps').tBodies[0] as HTMLTableSectionElement;
  const apps = [...state.apps.values()].sort((a, b) => a.id - b.id);
  $('empty').hidden = apps.length > 0;
  $('daemon').textContent = state.daemon + ' · ' + apps.length + ' app(s)';
  const rows = [];
  for (const p of apps) {
    const tr = el('tr');
    tr.dataset.id = String(p.id);
    if (state.selected === p.id) tr.className = 'selected';
    tr.append(
      el('td', 'num', p.id),
      el('td', 'name', appLabel(p)),
      el('td', 's-' + p.status, p.status),
      el('td', p.health ? 'h-' + p.health : 'muted', p.health || '-'),
      el('td', 'num', p.pid === null ? '-' : p.pid),
      el('td', 'num', isUp(p.status) ? duration(p.uptimeMs) : '-'),
      el('td', 'num', p.restarts),
      el('td', 'num', p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1) + '%'),
      el('td', 'num', bytes(p.memoryBytes)),
      el('td', 'num', isUp(p.status) ? formatPorts(p.ports) || '-' : '-'),
    );
    tr.addEventListener('click', () => void select(p.id));
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// --- the selected app -----------------------------------------------------------------
function fact(dl: HTMLElement, name: string, value: string): void {
  dl.append(el('dt', '', name), el('dd', '', value));
}

function renderDetail(d: ProcessDetail): void {
  $('detail').hidden = false;
  $('d-name').textContent = d.name + ' (id ' + d.id + ')';
  const st = $('d-status');
  st.textContent = d.status + (d.health ? ' · ' + d.health : '');
  st.className = 'pill s-' + d.status;
  const dl = $('d-facts');
  dl.replaceChildren();
  const x = d.spec.exec;
  fact(dl, 'command', [x.interpreter, ...x.interpreterArgs, x.script, ...x.args].filter(Boolean).join(' '));
  fact(dl, 'cwd', d.spec.cwd);
  fact(dl, 'pid', d.pid === null ? '-' : d.pid + (d.tree.length > 1 ? ' (+' + (d.tree.length - 1) + ' processes in its tree)' : ''));
  fact(dl, 'restarts', d.restarts + (d.lastLimitRestart ? ' — last automatic: ' + d.lastLimitRestart.reason : ''));
  if (d.ports !== undefined && d.ports.length > 0) fact(dl, 'listening', formatPorts(d.ports));
  if (d.spec.maxMemoryRestartBytes) fact(dl, 'memory limit', bytes(d.spec.maxMemoryRestartBytes));
  if (d.job !== undefined) {
    const every = d.spec.schedule ?? 'every ' + duration(d.spec.scheduleIntervalMs ?? 0);
    fact(dl, 'schedule', every + ', overlap ' + (d.spec.overlap ?? 'skip'));
    fact(dl, 'job', formatJob(d.job, duration) + (d.job.missed > 0 ? ' · ' + d.job.missed + ' missed while tend was down' : ''));
  }
  if (d.spec.cronRestart)
    fact(dl, 'cron restart', d.spec.cronRestart + (d.nextCronAt ? ' (next ' + new Date(d.nextCronAt).toLocaleString() + ')' : ''));
  if (d.lastHealthCheck) fact(dl, 'last health check', (d.lastHealthCheck.ok ? 'passed: ' : 'failed: ') + d.lastHealthCheck.message);
  if (d.reason) fact(dl, 'reason', d.reason);
  if (d.nextRestartAt !== null) fact(dl, 'next restart', new Date(d.nextRestartAt).toLocaleString() + ' (the restart delay)');
  // The variables set for this app (not the 30+ inherited from the shell that started it).
  const own = Array.isArray(d.spec.userEnv) ? new Set(d.spec.userEnv) : null;
  const env = Object.entries(d.spec.env)
    .filter(([k]) => (own ? own.has(k) : true))
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 30);
  if (env.length) fact(dl, 'env', env.map(([k, v]) => k + '=' + v).join('\n'));
  renderActions(d);
}

const title = (s: string): string => (s[0] as string).toUpperCase() + s.slice(1);

function renderActions(d: ProcessDetail): void {
  const box = $('actions');
  const buttons = [];
  const wanted = isActive(d.status) ? ['restart', 'reload', 'stop'] : ['start'];
  for (const a of wanted) {
    if (!state.actions.includes(a)) continue;
    const b = el('button', a === 'stop' ? 'danger' : '', title(a));
    b.dataset.action = a;
    b.addEventListener('click', () => confirmAction(a, d.name, d.id));
    buttons.push(b);
  }
  box.replaceChildren(...buttons);
}

function confirmAction(action: string, name: string, id: number): void {
  const dlg = $<HTMLDialogElement>('confirm');
  $('confirm-text').textContent = title(action) + ' ' + name + '?';
  $('confirm-ok').textContent = title(action);
  dlg.onclose = async () => {
    if (dlg.returnValue !== 'ok') return;
    try {
      await api('/api/processes/' + id + '/' + action, { method: 'POST', headers: auth });
      problem('');
      if (state.selected === id) await loadDetail(id);
    } catch (err) {
      problem(action + ' ' + name + ' failed: ' + (err as Error).message);
    }
  };
  dlg.returnValue = '';
  dlg.showModal();
}

function charts(): { cpu: Chart; mem: Chart } {
  if (state.charts === null) {
    const made = { cpu: makeChart($('chart-cpu'), 'CPU %', '#58a6ff', 'pct'), mem: makeChart($('chart-mem'), 'MB', '#3fb950', 'mb') };
    state.charts = made;
    window.addEventListener('resize', () => {
      made.cpu.resize();
      made.mem.resize();
    });
  }
  return state.charts;
}

function addLogLine(r: LogRecord): void {
  const pre = $('logs');
  const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const line = el('div', r.stream === 'err' ? 'err' : '');
  line.append(el('span', 't', new Date(r.time).toLocaleTimeString() + ' '), document.createTextNode(r.message));
  pre.append(line);
  while (pre.childElementCount > MAX_LOG_LINES) pre.firstElementChild?.remove();
  if (stick) pre.scrollTop = pre.scrollHeight;
}

async function loadDetail(id: number): Promise<ProcessDetail | undefined> {
  const { process: d, metrics } = await api<Described>('/api/processes/' + id);
  if (state.selected !== id) return undefined;
  renderDetail(d);
  const c = charts();
  const pts = (metrics && metrics.history) || [];
  c.cpu.set(pts.map((p) => [p.t / 1000, p.cpuPercent]));
  c.mem.set(pts.map((p) => [p.t / 1000, p.memoryBytes / 1048576]));
  return d;
}

// Live lines that arrive while the backlog loads are held, then joined without a gap or a
// duplicate: the lines both saw are the end of the backlog and the start of what was held.
function joinLogs(backlog: LogRecord[], held: LogRecord[]): LogRecord[] {
  let k = Math.min(backlog.length, held.length);
  for (; k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) {
      const a = backlog[backlog.length - k + i] as LogRecord;
      const b = held[i] as LogRecord;
      same = a.message === b.message && a.stream === b.stream;
    }
    if (same) break;
  }
  return backlog.concat(held.slice(k));
}

async function select(id: number): Promise<void> {
  state.selected = id;
  renderTable();
  state.held = [];
  connect();
  try {
    await loadDetail(id);
    const { lines } = await api<{ lines: LogRecord[] }>('/api/processes/' + id + '/logs?lines=100');
    if (state.selected !== id) return;
    $('logs').replaceChildren();
    joinLogs(lines, state.held || []).forEach(addLogLine);
    state.held = null;
  } catch (err) {
    problem((err as Error).message);
  }
}

/** The selected app was deleted: its details, and buttons that would act on nothing, go (its log lines stop coming). */
function unselect(): void {
  state.selected = null;
  $('detail').hidden = true;
  $('logs').replaceChildren();
}

// --- the live stream (server-sent events read with fetch, so the token stays in a header) ---
function onMetrics(data: MetricsEvent): void {
  for (const m of data.apps) {
    const p = state.apps.get(m.id);
    if (p) {
      p.cpuPercent = m.cpuPercent;
      p.memoryBytes = m.memoryBytes;
      if (m.ports !== undefined) p.ports = m.ports;
      if (p.startedAt) p.uptimeMs = Date.now() - p.startedAt;
    }
    if (m.id === state.selected && m.cpuPercent !== null && m.memoryBytes !== null) {
      const c = charts();
      c.cpu.push(data.time / 1000, m.cpuPercent);
      c.mem.push(data.time / 1000, m.memoryBytes / 1048576);
    }
  }
  renderTable();
}

function onEvent(name: string, data: unknown): void {
  if (name === 'processes') {
    state.apps = new Map((data as ProcessInfo[]).map((p) => [p.id, p]));
    if (state.selected !== null && !state.apps.has(state.selected)) unselect();
    renderTable();
  } else if (name === 'process:state') {
    const e = data as ProcessStateEvent;
    if (e.deleted) state.apps.delete(e.info.id);
    else state.apps.set(e.info.id, e.info);
    renderTable();
    if (e.info.id !== state.selected) return;
    if (!e.deleted) loadDetail(state.selected).catch(() => undefined);
    else unselect();
  } else if (name === 'metrics') {
    onMetrics(data as MetricsEvent);
  } else if (name === 'log:line') {
    const { record } = data as { record: LogRecord };
    if (record.id !== state.selected) return;
    if (state.held) state.held.push(record);
    else addLogLine(record);
  }
}

async function readStream(ctl: AbortController, q: string): Promise<'stop' | 'ended'> {
  const res = await fetch('/api/events' + q, { headers: auth, signal: ctl.signal });
  if (res.status === 401) {
    problem('The token is missing or wrong: open the URL that `tend web` prints (it ends with #token=…).');
    return 'stop';
  }
  if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
  const conn = $('conn');
  conn.textContent = 'live';
  conn.className = 'conn live';
  problem('');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
  return 'ended';
}

function connect(): void {
  if (state.stream) state.stream.abort();
  const ctl = new AbortController();
  state.stream = ctl;
  const q = state.selected === null ? '' : '?logs=' + encodeURIComponent(String(state.selected));
  readStream(ctl, q).then(
    (why) => {
      if (why === 'stop' || ctl.signal.aborted) return;
      retry(ctl);
    },
    () => {
      if (!ctl.signal.aborted) retry(ctl);
    },
  );
}

// The daemon restarted (or the network blinked): reconnect, and the new daemon serves again.
function retry(ctl: AbortController): void {
  const conn = $('conn');
  conn.textContent = 'reconnecting…';
  conn.className = 'conn down';
  setTimeout(() => {
    if (state.stream === ctl) void start();
  }, 1000);
}

async function start(): Promise<void> {
  try {
    const info = await api<Overview>('/api/processes');
    state.actions = info.actions;
    $('host').textContent = info.system.hostname;
    state.daemon = 'tend ' + info.daemon.version + ' · daemon ' + info.daemon.pid;
    state.apps = new Map(info.processes.map((p) => [p.id, p]));
    renderTable();
    const first = info.processes[0];
    if (state.selected !== null && !state.apps.has(state.selected)) unselect();
    if (state.selected !== null) await loadDetail(state.selected);
    else if (first !== undefined) return select(first.id);
    connect();
  } catch (err) {
    if ((err as Error).message === 'unauthorized') return;
    const conn = $('conn');
    conn.textContent = 'daemon unreachable, retrying…';
    conn.className = 'conn down';
    setTimeout(start, 1500);
  }
}

// Read-only figures for tests and the curious (the charts' point counts).
(window as unknown as { tendDashboard: unknown }).tendDashboard = {
  chartPoints: () => (state.charts === null ? { cpu: 0, mem: 0 } : { cpu: state.charts.cpu.count, mem: state.charts.mem.count }),
  chartRange: () => (state.charts === null ? null : state.charts.cpu.range),
};

if (!token) problem('No token: open the URL that `tend web` prints (it ends with #token=…).');
else void start();
