import type { LogRecord } from './logs.js';
import type { AppMetrics } from './metrics.js';
import type { ProcessInfo, ProcessStatus } from './process-info.js';

/** An app changed state (started, crashed, stopped, deleted, restarted…). */
export interface ProcessStateEvent {
  type: 'process:state';
  /** When the daemon saw the change (ms since the epoch). */
  time: number;
  info: ProcessInfo;
  /** The status before this change; null for an app the daemon had not published yet. */
  previous: ProcessStatus | null;
  /** The app was deleted: this is its last event. */
  deleted: boolean;
}

/** Daemon → client events, delivered on a subscription. */
export type DaemonEvent =
  | ProcessStateEvent
  | { type: 'log:line'; record: LogRecord }
  /** After each sample of the metrics sampler (metrics.subscribe); history is empty. */
  | { type: 'metrics'; time: number; apps: AppMetrics[] }
  /** The daemon dropped this subscriber because it read too slowly. */
  | { type: 'subscription:dropped'; reason: string };

/**
 * Event types a client can ask for with `events.subscribe` (log lines have their own method).
 * The daemon refuses names it does not know, so a client learns at once what it can rely on.
 */
export const SUBSCRIBABLE_EVENT_TYPES = ['process:state'] as const;
export type SubscribableEventType = (typeof SUBSCRIBABLE_EVENT_TYPES)[number];
