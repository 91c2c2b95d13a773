import type { ProcessInfo } from './process-info.js';

/** Bumped with the protocol: a CLI reads only a snapshot of its own version. */
export const STATUS_VERSION = 1;

/** TEND_HOME/status.json: the process list the daemon publishes after every change. */
export interface StatusFile {
  version: number;
  daemonPid: number;
  writtenAt: number;
  apps: ProcessInfo[];
  /** What is wrong with the daemon (disk full, state recovered from a backup); absent = nothing. */
  problems?: string[];
}
