import type { AppSpec } from './app-spec.js';
import type { InstanceInfo, ReloadReport } from './process-info.js';

/**
 * Holders (DESIGN.md §8) are the small per-app processes that own what must outlive the daemon
 * and are re-adopted by the next daemon. There are three kinds, each with one name:
 * - the **cluster holder** (the app's node:cluster primary) and the **sockets holder** (any program
 *   on inherited listening sockets, LISTEN_FDS) run the app's instances as a pool: together they
 *   are the **pool holders**, and their apps the **pooled apps** (`execMode: 'cluster'` or `listen`);
 * - the **PTY holder** owns a `pty` app's pseudo-terminal and serves `tend attach` (protocol/pty.ts).
 * Every field about one says `holder` (`holderPid`, describe's `holder`, Prometheus's
 * `tend_app_holder_*`).
 *
 * This file is the wire between the daemon and a pool holder. The pool holder listens on a Unix
 * socket in TEND_HOME/holders (0600); the daemon connects, both say hello with their version,
 * then newline-delimited JSON frames flow as on the control socket: requests with ids from the
 * daemon, replies and status events from the holder.
 */
export const HOLDER_PROTOCOL_VERSION = 1;

/** Frames larger than this are refused and the connection closed. */
export const HOLDER_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * What a pool holder is for: node:cluster workers, any program on inherited sockets (LISTEN_FDS),
 * or any program on a private port behind the holder's proxy (proxy mode).
 */
export type HolderKind = 'cluster' | 'sockets' | 'proxy';

export interface HolderHello {
  t: 'hello';
  protocol: number;
  /** `tend-holder 0.1.0`, `tend-daemon 0.1.0`. */
  agent: string;
  pid: number;
  kind?: HolderKind;
}

/** Every request the daemon can make of a pool holder, its parameters and its result. */
export interface HolderMethods {
  /** Current status (also pushed as `status` events after every change). */
  status: (p: Record<string, never>) => HolderStatus;
  /**
   * Rolling reload: new process ready and up for min_ready → old one out, `parallel` at a time;
   * stops at the first failure. Reload, scale and restart-instance run one at a time, in order.
   * `askedAt`: when the operation was asked for (its journal time). The same operation asked
   * again (a new daemon finishing what a killed one had asked) is not run a second time: the
   * answer is that reload's report, once it is done.
   */
  reload: (p: { spec?: AppSpec; parallel: number; ids?: InstanceIdMap; askedAt?: number }) => ReloadReport;
  /** Sets the instance count (starting or stopping the highest-numbered instances). */
  scale: (p: { instances: number; ids?: InstanceIdMap }) => HolderStatus;
  /** Replaces one instance's process (stop, then start). */
  'restart-instance': (p: { instance: number }) => HolderStatus;
  /** Stops one instance's process (gracefully); it stays stopped until started (PM2's `stop <id>`). */
  'stop-instance': (p: { instance: number }) => HolderStatus;
  /** Starts a stopped or errored instance again. */
  'start-instance': (p: { instance: number }) => HolderStatus;
  /** Restart counters of one instance (or of all: null) back to zero (`tend reset`). */
  'reset-instance': (p: { instance: number | null }) => HolderStatus;
  /** Sends a signal to one instance's process, or to all of them. */
  signal: (p: { instance: number | null; signal: string }) => { signalled: number };
  /** Removes one instance (`tend delete <instance id>`): its process retires, the count goes down by one, the others keep their numbers. */
  'remove-instance': (p: { instance: number }) => HolderStatus;
  /** Writes a line to one instance's stdin, or to each running instance's (`tend send`). */
  send: (p: { instance: number | null; line: string }) => { bytes: number; processes: number };
}

/**
 * The daemon's id of each instance number (PM2's `pm_id`, which a PM2 app's worker gets in its
 * environment): given at the holder's start (TEND_HOLDER_IDS) and with each operation that can
 * add instances.
 */
export type InstanceIdMap = Record<string, number>;

export type HolderMethod = keyof HolderMethods;

export type HolderRequest = {
  [K in HolderMethod]: { t: 'req'; id: number; method: K; params: Parameters<HolderMethods[K]>[0] };
}[HolderMethod];

export type HolderResponse =
  | { t: 'res'; id: number; ok: true; result: unknown }
  | { t: 'res'; id: number; ok: false; error: { code: string; message: string; details?: unknown } };

export interface HolderStatus {
  kind: HolderKind;
  /** The instance count the holder keeps (resolved from `max` / -n). */
  instances: number;
  workers: InstanceInfo[];
  /** Every initial worker was ready (or timed out) once: the app is online. */
  ready: boolean;
  reloading: boolean;
  lastReload: ReloadReport | null;
}

export interface HolderStatusEvent {
  t: 'status';
  status: HolderStatus;
}

export type HolderToDaemon = HolderHello | HolderResponse | HolderStatusEvent;
export type DaemonToHolder = HolderHello | HolderRequest;
