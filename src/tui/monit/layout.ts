import { formatBytes } from '../../lib/bytes.js';
import { formatDuration } from '../../lib/duration.js';
import type { ListenPort } from '../../protocol/ports.js';
import type { HealthStatus, JobStatus, ProcessStatus } from '../../protocol/process-info.js';
import { appLabel } from '../../protocol/app-label.js';
import { formatPorts } from '../../protocol/ports.js';
import { isUp, statusColor } from '../../protocol/status-groups.js';
import { formatJob } from '../../protocol/job-text.js';
import { sparkline } from './sparkline.js';
import { fit } from './text.js';

export interface MonitApp {
  id: number;
  name: string;
  status: ProcessStatus;
  pid: number | null;
  restarts: number;
  uptimeMs: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
  health?: HealthStatus | null | undefined;
  ports?: ListenPort[] | undefined;
  job?: JobStatus | undefined;
  watching?: boolean | undefined;
  pty?: boolean | undefined;
}

export interface MonitView {
  cols: number;
  rows: number;
  title: string;
  apps: readonly MonitApp[];
  /** Index into `apps`, -1 when empty. */
  selected: number;
  cpu: readonly number[];
  mem: readonly number[];
  /** The selected app's last log lines, already sanitized; `err` lines are shown in red. */
  logs: ReadonlyArray<{ text: string; err: boolean }>;
  filter: string;
  editingFilter: boolean;
  /** Logs fill the screen (l). */
  logsOnly: boolean;
  message: string;
}

const RESET = '\x1b[0m';
const INVERSE = '\x1b[7m';
const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
const COLOR: Record<string, string> = {
  green: '\x1b[32m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  gray: '\x1b[90m',
  cyan: '\x1b[36m',
  blue: '\x1b[34m',
};

/** A full frame: exactly `rows` strings, each exactly `cols` cells wide (styles aside). */
export function layout(v: MonitView): string[] {
  const cols = Math.max(20, v.cols);
  const rows = Math.max(8, v.rows);
  const out: string[] = [];
  const line = (text: string, style = ''): void => {
    out.push(style + fit(text, cols) + (style ? RESET : ''));
  };
  line(` ${v.title}`, INVERSE + BOLD);
  const footerText = v.editingFilter
    ? ` filter: ${v.filter}█   (enter: apply, esc: clear)`
    : v.message !== ''
      ? ` ${v.message}`
      : ' ↑↓ select  r restart  s stop/start  R reload  l logs  / filter  q quit';
  const sel = v.apps[v.selected];
  if (v.logsOnly) {
    line(` logs of ${sel?.name ?? '-'} (l: back)`, BOLD);
    pushLogs(out, v, rows - 3, cols);
    line(footerText, INVERSE);
    return out;
  }
  const nameW = Math.max(8, cols - 61);
  const head = ` ${'id'.padStart(3)} ${fit('name', nameW)} ${fit('status', 15)} ${'cpu'.padStart(6)} ${'mem'.padStart(9)} ${'↺'.padStart(4)} ${'uptime'.padStart(7)} ${fit('health', 9)}`;
  line(head, DIM);
  const listRows = Math.max(3, Math.min(v.apps.length || 1, Math.floor((rows - 8) / 2)));
  const top = Math.min(Math.max(0, v.selected - listRows + 1), Math.max(0, v.apps.length - listRows));
  for (let i = 0; i < listRows; i += 1) {
    const a = v.apps[top + i];
    if (a === undefined) {
      line(
        i === 0 && v.apps.length === 0
          ? v.filter !== ''
            ? ` no app matches "${v.filter}"`
            : ' no apps: start one with `tend start app.js`'
          : '',
      );
      continue;
    }
    const running = isUp(a.status);
    const cells = [
      ` ${String(a.id).padStart(3)} ${fit(appLabel(a), nameW)} `,
      fit(a.status, 15),
      ` ${(a.cpuPercent === null ? '-' : `${a.cpuPercent.toFixed(1)}%`).padStart(6)} ${(a.memoryBytes === null ? '-' : formatBytes(a.memoryBytes)).padStart(9)} ${String(a.restarts).padStart(4)} ${(running ? formatDuration(a.uptimeMs) : '-').padStart(7)} `,
      fit(a.health ?? '-', 9),
    ];
    const plain = cells.join('');
    const fitted = fit(plain, cols);
    if (top + i === v.selected) out.push(INVERSE + fitted + RESET);
    else if (fitted.length < plain.length) out.push(fitted);
    else {
      // Colour the status and health cells; the rest of the row is padded to the width.
      const hc = a.health === 'healthy' ? COLOR.green : a.health === 'unhealthy' ? COLOR.red : '';
      out.push(
        `${cells[0]}${COLOR[statusColor(a.status)]}${cells[1]}${RESET}${cells[2]}${hc}${cells[3]}${RESET}${fitted.slice(plain.length)}`,
      );
    }
  }
  const sparkW = Math.max(10, Math.floor((cols - 34) / 2));
  const listening = sel?.pid == null ? '' : formatPorts(sel.ports);
  const job = sel?.job == null ? '' : `  job ${formatJob(sel.job, formatDuration)}`;
  line(
    ` ${sel === undefined ? '' : `${sel.name}${sel.pid === null ? '' : ` (pid ${sel.pid})`}${listening === '' ? '' : `  ports ${listening}`}${job}`}`,
    BOLD,
  );
  const cpuNow = sel?.cpuPercent == null ? '-' : `${sel.cpuPercent.toFixed(1)}%`;
  const memNow = sel?.memoryBytes == null ? '-' : formatBytes(sel.memoryBytes);
  out.push(
    ` cpu ${COLOR.cyan}${sparkline(v.cpu, sparkW, 5)}${RESET} ${fit(cpuNow, 7)}  mem ${COLOR.blue}${sparkline(v.mem, sparkW, Math.max(1, ...v.mem.slice(-sparkW)) * 1.25)}${RESET} ${fit(memNow, cols - sparkW * 2 - 20)}`,
  );
  line(` logs`, DIM);
  pushLogs(out, v, rows - out.length - 1, cols);
  line(footerText, INVERSE);
  return out;
}

function pushLogs(out: string[], v: MonitView, n: number, cols: number): void {
  const lines = v.logs.slice(-Math.max(0, n));
  for (let i = 0; i < n; i += 1) {
    const l = lines[i];
    if (l === undefined) out.push(fit('', cols));
    else out.push(l.err ? `${COLOR.red}${fit(` ${l.text}`, cols)}${RESET}` : fit(` ${l.text}`, cols));
  }
}
