import type { LogRecord, ProcessInfo } from './model.js';

/** Daemon → client events, delivered on a subscription. */
export type DaemonEvent =
  | { type: 'process:state'; info: ProcessInfo }
  | { type: 'log:line'; record: LogRecord }
  /** The daemon dropped this subscriber because it read too slowly. */
  | { type: 'subscription:dropped'; reason: string };
