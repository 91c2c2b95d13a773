import { formatBytes } from '../lib/bytes.js';
import type { AppMetrics } from '../protocol/metrics.js';

/**
 * The reason to restart an app whose whole tree uses more memory than its limit, or null.
 * Checked at every sample (PM2 checks every 30 s, and only the main pid).
 */
export function memoryOverLimit(
  m: Pick<AppMetrics, 'memoryBytes' | 'processes' | 'main'>,
  limitBytes: number | null | undefined,
): string | null {
  if (limitBytes == null || limitBytes <= 0 || m.memoryBytes === null || m.memoryBytes <= limitBytes) return null;
  const tree = m.processes > 1 ? ` (${m.processes} processes; main pid ${formatBytes(m.main?.memoryBytes ?? 0)})` : '';
  return `memory ${formatBytes(m.memoryBytes)} over max_memory_restart ${formatBytes(limitBytes)}${tree}`;
}
