/**
 * What the sampler measures: an app's CPU and memory, its history, its process tree.
 * No Node imports here: this folder is type-checked with `"types": []` so a browser bundle can
 * import it.
 */

import type { ListenPort } from './ports.js';

/** A holder process's own cost, and its app's total (holder plus every instance). */
export interface HolderFigures {
  pid: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
  app: { cpuPercent: number | null; memoryBytes: number | null };
}

/** One process of an app's tree (`describe`). */
export interface TreeProcess {
  pid: number;
  ppid: number;
  /** The command line (arguments joined by spaces), or the short name from /proc when unreadable. */
  command: string;
  cpuPercent: number | null;
  memoryBytes: number;
}

/** One point of an app's history. */
export interface MetricPoint {
  /** Epoch milliseconds. */
  t: number;
  cpuPercent: number;
  memoryBytes: number;
}

/** What the sampler knows about one app. */
export interface AppMetrics {
  id: number;
  name: string;
  /** The main pid's own figures (PM2 reports only these). */
  main: { cpuPercent: number; memoryBytes: number } | null;
  /** Summed over the whole tree. */
  cpuPercent: number | null;
  memoryBytes: number | null;
  /** Total CPU time of the live tree, in seconds (for Prometheus counters). */
  cpuSeconds: number;
  processes: number;
  /** Oldest first; about the last 10 minutes. */
  history: MetricPoint[];
  /** Listening ports of the tree at the last scan (in `metrics` events; absent when not scanned yet). */
  ports?: ListenPort[];
}
