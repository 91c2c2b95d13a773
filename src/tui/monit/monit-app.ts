import { RpcClient } from '../../rpc/client.js';
import { isTendError } from '../../errors.js';
import type { DaemonEvent } from '../../protocol/events.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { isAtRest } from '../../protocol/status-groups.js';
import { parseKeys, type Key } from './keys.js';
import { layout, type MonitApp } from './layout.js';
import { Screen } from './screen.js';
import { sanitize } from './text.js';

export interface MonitIo {
  client: RpcClient;
  socketPath: string;
  /** Loads the selected app's recent lines (from its log files). */
  backlog(app: ProcessInfo): Promise<Array<{ text: string; err: boolean }>>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

const HISTORY = 120;

type Line = { text: string; err: boolean };

/** Backlog + the live lines held meanwhile, the lines both saw counted once. */
export function joinLogs(backlog: readonly Line[], held: readonly Line[]): Line[] {
  let k = Math.min(backlog.length, held.length);
  for (; k > 0; k -= 1) {
    let same = true;
    for (let i = 0; i < k && same; i += 1) {
      const a = backlog[backlog.length - k + i] as Line;
      const b = held[i] as Line;
      same = a.text === b.text && a.err === b.err;
    }
    if (same) break;
  }
  return [...backlog, ...held.slice(k)];
}
const LOG_LINES = 300;

/**
 * `tend monit`: the app list with CPU, memory, restarts and uptime, sparklines and the log of the
 * selected app, live. Redraws at most every 50 ms and only the rows that changed.
 */
export class Monit {
  private apps = new Map<number, ProcessInfo>();
  private history = new Map<number, { cpu: number[]; mem: number[] }>();
  private logs: Array<{ text: string; err: boolean }> = [];
  private selectedId: number | null = null;
  private filter = '';
  private editingFilter = false;
  private logsOnly = false;
  private message = '';
  private messageTimer: NodeJS.Timeout | null = null;
  private drawTimer: NodeJS.Timeout | null = null;
  private logClient: RpcClient | null = null;
  private readonly screen: Screen;
  private done: (code: number) => void = () => undefined;
  private ended = false;

  constructor(private readonly io: MonitIo) {
    this.screen = new Screen((s) => io.stdout.write(s));
  }

  async run(): Promise<number> {
    const { client } = this.io;
    for (const p of await client.call('process.list', {})) this.apps.set(p.id, p);
    const since = Date.now() - 10 * 60_000;
    for (const m of (await client.call('metrics.get', { history: true, since })).apps) {
      this.history.set(m.id, {
        cpu: m.history.map((p) => p.cpuPercent).slice(-HISTORY),
        mem: m.history.map((p) => p.memoryBytes).slice(-HISTORY),
      });
    }
    client.onEvent((_s, e) => this.onEvent(e));
    client.onClose(() => this.finish(0, 'the daemon went away'));
    await client.call('events.subscribe', {});
    await client.call('metrics.subscribe', {});
    const first = this.visible()[0];
    this.screen.open();
    this.io.stdin.setRawMode?.(true);
    this.io.stdin.setEncoding('utf8');
    this.io.stdin.on('data', (d: string) => {
      for (const k of parseKeys(d)) this.onKey(k);
    });
    this.io.stdin.resume();
    this.io.stdout.on('resize', () => {
      this.screen.invalidate();
      this.redraw();
    });
    if (first !== undefined) void this.select(first.id);
    this.redraw();
    return new Promise((resolve) => {
      this.done = resolve;
    });
  }

  private finish(code: number, why = ''): void {
    if (this.ended) return;
    this.ended = true;
    if (this.drawTimer !== null) clearTimeout(this.drawTimer);
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.screen.close();
    this.io.stdin.setRawMode?.(false);
    this.io.stdin.pause();
    this.logClient?.close();
    this.io.client.close();
    if (why !== '') this.io.stdout.write(`tend monit: ${why}\n`);
    this.done(code);
  }

  private visible(): ProcessInfo[] {
    const f = this.filter.toLowerCase();
    return [...this.apps.values()].filter((a) => f === '' || a.name.toLowerCase().includes(f)).sort((a, b) => a.id - b.id);
  }

  private onEvent(e: DaemonEvent): void {
    if (e.type === 'process:state') {
      if (e.deleted) this.apps.delete(e.info.id);
      else
        this.apps.set(e.info.id, {
          ...this.apps.get(e.info.id),
          ...e.info,
          cpuPercent: e.info.cpuPercent ?? this.apps.get(e.info.id)?.cpuPercent ?? null,
          memoryBytes: e.info.memoryBytes ?? this.apps.get(e.info.id)?.memoryBytes ?? null,
        });
    } else if (e.type === 'metrics') {
      for (const m of e.apps) {
        const a = this.apps.get(m.id);
        if (a !== undefined)
          this.apps.set(m.id, {
            ...a,
            cpuPercent: m.cpuPercent,
            memoryBytes: m.memoryBytes,
            uptimeMs: a.startedAt === null ? 0 : Date.now() - a.startedAt,
            ...(m.ports === undefined ? {} : { ports: m.ports }),
          });
        if (m.cpuPercent === null || m.memoryBytes === null) continue;
        const h = this.history.get(m.id) ?? { cpu: [], mem: [] };
        h.cpu.push(m.cpuPercent);
        h.mem.push(m.memoryBytes);
        if (h.cpu.length > HISTORY) {
          h.cpu.shift();
          h.mem.shift();
        }
        this.history.set(m.id, h);
      }
    }
    this.redraw();
  }

  private say(text: string): void {
    this.message = text;
    if (this.messageTimer !== null) clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => {
      this.message = '';
      this.redraw();
    }, 4000);
    this.redraw();
  }

  private onKey(k: Key): void {
    if (this.editingFilter) return this.onFilterKey(k);
    const list = this.visible();
    const idx = list.findIndex((a) => a.id === this.selectedId);
    const move = (to: number): void => {
      const a = list[Math.max(0, Math.min(list.length - 1, to))];
      if (a !== undefined && a.id !== this.selectedId) void this.select(a.id);
    };
    const ch = typeof k === 'object' ? k.char : null;
    if (k === 'ctrl-c' || ch === 'q') return this.finish(0);
    if (k === 'up' || ch === 'k') return move(idx - 1);
    if (k === 'down' || ch === 'j') return move(idx + 1);
    if (k === 'home' || ch === 'g') return move(0);
    if (k === 'end' || ch === 'G') return move(list.length - 1);
    if (k === 'pageup') return move(idx - 5);
    if (k === 'pagedown') return move(idx + 5);
    if (ch === '/') {
      this.editingFilter = true;
      return this.redraw();
    }
    if (ch === 'l' || (k === 'escape' && this.logsOnly)) {
      this.logsOnly = !this.logsOnly;
      return this.redraw();
    }
    const sel = list[idx];
    if (sel === undefined) return;
    if (ch === 'r') void this.act(`restart ${sel.name}`, () => this.io.client.call('process.restart', { target: sel.id }));
    else if (ch === 's') {
      const running = !isAtRest(sel.status);
      void this.act(`${running ? 'stop' : 'start'} ${sel.name}`, () =>
        running ? this.io.client.call('process.stop', { target: sel.id }) : this.io.client.call('process.startTarget', { target: sel.id }),
      );
    } else if (ch === 'R') {
      // Rolling reload comes with cluster mode; a daemon without it answers "unknown method".
      const call = this.io.client.call.bind(this.io.client) as unknown as (m: string, p: object) => Promise<unknown>;
      void this.act(`reload ${sel.name}`, () => call('process.reload', { target: sel.id }));
    }
  }

  private onFilterKey(k: Key): void {
    if (k === 'enter') this.editingFilter = false;
    else if (k === 'escape' || k === 'ctrl-c') {
      this.editingFilter = false;
      this.filter = '';
    } else if (k === 'backspace') this.filter = this.filter.slice(0, -1);
    else if (typeof k === 'object' && this.filter.length < 40) this.filter += k.char;
    const list = this.visible();
    if (list.length > 0 && !list.some((a) => a.id === this.selectedId)) void this.select((list[0] as ProcessInfo).id);
    this.redraw();
  }

  private async act(what: string, fn: () => Promise<unknown>): Promise<void> {
    this.say(`${what}…`);
    try {
      await fn();
      this.say(`${what}: done`);
    } catch (err) {
      this.say(`${what} failed: ${isTendError(err) ? err.message : (err as Error).message}`);
    }
  }

  /** Selects an app and follows its log on a connection of its own (closed on the next selection). */
  private async select(id: number): Promise<void> {
    this.selectedId = id;
    this.logs = [];
    this.logClient?.close();
    this.logClient = null;
    this.redraw();
    const app = this.apps.get(id);
    if (app === undefined) return;
    try {
      // Subscribe first and hold live lines while the backlog is read: no gap between the two.
      const c = await RpcClient.connect(this.io.socketPath, 'tend-monit');
      if (this.selectedId !== id || this.ended) {
        c.close();
        return;
      }
      this.logClient = c;
      let held: Array<{ text: string; err: boolean }> | null = [];
      c.onEvent((_s, e) => {
        if (e.type !== 'log:line' || e.record.id !== this.selectedId) return;
        const line = { text: sanitize(e.record.message), err: e.record.stream === 'err' };
        if (held !== null) {
          held.push(line);
          return;
        }
        this.logs.push(line);
        if (this.logs.length > LOG_LINES) this.logs.splice(0, this.logs.length - LOG_LINES);
        this.redraw();
      });
      await c.call('logs.subscribe', { target: id, streams: ['out', 'err'] });
      const lines = await this.io.backlog(app);
      if (this.selectedId !== id) return;
      this.logs = joinLogs(lines, held).slice(-LOG_LINES);
      held = null;
    } catch (err) {
      this.say(`logs of ${app.name}: ${(err as Error).message}`);
    }
    this.redraw();
  }

  private redraw(): void {
    if (this.drawTimer !== null || this.ended) return;
    this.drawTimer = setTimeout(() => {
      this.drawTimer = null;
      if (!this.ended) this.draw();
    }, 50);
  }

  private draw(): void {
    const list = this.visible();
    const selected = list.findIndex((a) => a.id === this.selectedId);
    const h = this.selectedId === null ? undefined : this.history.get(this.selectedId);
    const cols = this.io.stdout.columns || 80;
    const rows = this.io.stdout.rows || 24;
    this.screen.draw(
      layout({
        cols,
        rows,
        title: `tend monit — ${this.apps.size} app${this.apps.size === 1 ? '' : 's'}${this.filter !== '' ? ` (filter: ${this.filter})` : ''}`,
        apps: list as MonitApp[],
        selected,
        cpu: h?.cpu ?? [],
        mem: (h?.mem ?? []).map((b) => b / 1048576),
        logs: this.logs,
        filter: this.filter,
        editingFilter: this.editingFilter,
        logsOnly: this.logsOnly,
        message: this.message,
      }),
    );
  }
}
