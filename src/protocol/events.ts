import type { AppMetrics, LogRecord, ProcessInfo } from './model.js';

/** Daemon → client events, delivered on a subscription. */
export type DaemonEvent =
  | { type: 'process:state'; info: ProcessInfo }
  | { type: 'log:line'; record: LogRecord }
  /** After each sample of the metrics sampler (metrics.subscribe); history is empty. */
  | { type: 'metrics'; time: number; apps: AppMetrics[] }
  /** The daemon dropped this subscriber because it read too slowly. */
  | { type: 'subscription:dropped'; reason: string };
