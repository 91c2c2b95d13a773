import { formatBytes } from '../../lib/bytes.js';
import { formatDuration } from '../../lib/duration.js';
import type { ProcessInfo } from '../../protocol/model.js';
import { painter, statusColor } from './colors.js';
import { renderTable } from './table.js';

/** The `tend list` table, also printed after start/stop/restart. */
export function renderProcessTable(list: ProcessInfo[], color: boolean): string {
  if (list.length === 0) return 'No apps. Start one with `tend start <script>`.';
  const paint = painter(color);
  const rows = list.map((p) => [
    String(p.id),
    p.name + (p.watching === true ? ' (watch)' : '') + (p.pty === true ? ' (pty)' : ''),
    p.namespace,
    p.status,
    p.pid === null ? '-' : String(p.pid),
    p.status === 'online' || p.status === 'launching' ? formatDuration(p.uptimeMs) : '-',
    String(p.restarts),
    p.cpuPercent === null ? '-' : `${p.cpuPercent.toFixed(1)}%`,
    p.memoryBytes === null ? '-' : formatBytes(p.memoryBytes),
  ]);
  return renderTable(['id', 'name', 'namespace', 'status', 'pid', 'uptime', 'restarts', 'cpu', 'mem'], rows, (col, cell) => {
    if (col !== 3) return cell;
    return paint(statusColor(cell.trim() as ProcessInfo['status']), cell);
  });
}
