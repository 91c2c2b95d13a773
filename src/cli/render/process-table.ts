import { formatBytes } from '../../lib/bytes.js';
import { formatDuration } from '../../lib/duration.js';
import type { ProcessInfo } from '../../protocol/model.js';
import { isUp } from '../../protocol/status-groups.js';
import { painter, statusColor } from './colors.js';
import { renderTable } from './table.js';

/** The `tend list` table, also printed after start/stop/restart. */
export function renderProcessTable(list: ProcessInfo[], color: boolean): string {
  if (list.length === 0) return 'No apps. Start one with `tend start <script>`.';
  const paint = painter(color);
  const withHealth = list.some((p) => (p.health ?? null) !== null);
  const rows = list.map((p) => [
    String(p.id),
    p.name + (p.watching === true ? ' (watch)' : '') + (p.pty === true ? ' (pty)' : ''),
    p.namespace,
    p.status,
    p.pid === null ? '-' : String(p.pid),
    isUp(p.status) ? formatDuration(p.uptimeMs) : '-',
    String(p.restarts),
    p.cpuPercent === null ? '-' : `${p.cpuPercent.toFixed(1)}%`,
    p.memoryBytes === null ? '-' : formatBytes(p.memoryBytes),
    ...(withHealth ? [p.health ?? '-'] : []),
  ]);
  const headers = ['id', 'name', 'namespace', 'status', 'pid', 'uptime', 'restarts', 'cpu', 'mem', ...(withHealth ? ['health'] : [])];
  return renderTable(headers, rows, (col, cell) => {
    if (col === 9) return cell.trim() === 'unhealthy' ? paint('red', cell) : cell.trim() === 'healthy' ? paint('green', cell) : cell;
    if (col !== 3) return cell;
    return paint(statusColor(cell.trim() as ProcessInfo['status']), cell);
  });
}
