import { formatBytes } from '../../lib/bytes.js';
import { appLabel } from '../../protocol/app-label.js';
import { formatDuration } from '../../lib/duration.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { isUp } from '../../protocol/status-groups.js';
import { formatPorts } from '../../protocol/ports.js';
import { statusColor } from '../../protocol/status-groups.js';
import { painter } from './colors.js';
import { formatJob } from '../../protocol/job-text.js';
import { renderTable } from './table.js';

/** The `tend list` table, also printed after start/stop/restart. */
export function renderProcessTable(list: ProcessInfo[], color: boolean): string {
  if (list.length === 0) return 'No apps. Start one with `tend start <script>`.';
  const paint = painter(color);
  const withHealth = list.some((p) => (p.health ?? null) !== null);
  const withPorts = list.some((p) => (p.ports?.length ?? 0) > 0);
  const withJobs = list.some((p) => p.job !== undefined);
  const rows = list.map((p) => [
    String(p.id),
    appLabel(p),
    p.namespace,
    p.status,
    p.pid === null ? '-' : String(p.pid),
    isUp(p.status) ? formatDuration(p.uptimeMs) : '-',
    String(p.restarts),
    p.cpuPercent === null ? '-' : `${p.cpuPercent.toFixed(1)}%`,
    p.memoryBytes === null ? '-' : formatBytes(p.memoryBytes),
    ...(withHealth ? [p.health ?? '-'] : []),
    ...(withPorts ? [formatPorts(p.ports) || '-'] : []),
    ...(withJobs ? [jobCell(p)] : []),
  ]);
  const headers = [
    'id',
    'name',
    'namespace',
    'status',
    'pid',
    'uptime',
    'restarts',
    'cpu',
    'mem',
    ...(withHealth ? ['health'] : []),
    ...(withPorts ? ['ports'] : []),
    ...(withJobs ? ['job (last, next)'] : []),
  ];
  return renderTable(headers, rows, (col, cell) => {
    if (col === 9 && withHealth)
      return cell.trim() === 'unhealthy' ? paint('red', cell) : cell.trim() === 'healthy' ? paint('green', cell) : cell;
    if (col !== 3) return cell;
    return paint(statusColor(cell.trim() as ProcessInfo['status']), cell);
  });
}

/** A scheduled job's cell: `exit 0 in 1.2s, next 14:05:00` (local time). */
function jobCell(p: ProcessInfo): string {
  return p.job === undefined ? '-' : formatJob(p.job, formatDuration);
}
