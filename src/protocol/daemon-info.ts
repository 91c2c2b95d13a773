/**
 * What the daemon says about itself (`daemon.info`: `tend ping`, `list`).
 * No Node imports here: this folder is type-checked with `"types": []` so a browser bundle can
 * import it.
 */

export interface DaemonInfo {
  pid: number;
  version: string;
  protocol: number;
  home: string;
  startedAt: number;
  node: string;
  apps: number;
  /** The systemd unit running the daemon (`tend startup`), or null when tend launched it. */
  systemd: { name: string; scope: 'system' | 'user' } | null;
  /** What is wrong right now (disk full, state recovered from a backup), for `ping` and `list`; empty when healthy. */
  problems: string[];
  /** The daemon's own memory (process.memoryUsage()). */
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
}
