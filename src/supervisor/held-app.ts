import { unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ensureDir } from '../lib/ensure-dir.js';
import { resolveInstanceCount } from '../lib/listen-address.js';
import { packageFile } from '../lib/package-files.js';
import type { HolderStatus } from '../protocol/holder.js';
import type { AppSpec, ReloadReport } from '../protocol/model.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { holderFiles, type TendPaths } from '../store/paths.js';
import { HolderLink } from './holder-link.js';
import { holderNodeFlags } from './holder-flags.js';

/** Cluster apps and socket-activated apps run under a holder process instead of directly. */
export function isHeld(spec: AppSpec): boolean {
  return spec.execMode === 'cluster' || (Array.isArray(spec.listen) && spec.listen.length > 0);
}

/** A fork-mode Node app, run with tend's hook: a reload hands its listening sockets to the next process (handoff-reload.ts). */
export function handsOffSockets(spec: AppSpec): boolean {
  return spec.exec.interpreter === 'node' && !spec.exec.shell && spec.pty === undefined && !isHeld(spec);
}

/** What the state file keeps of a holder for the next daemon. */
export interface HeldSaved {
  instanceIds?: number[] | undefined;
  lastReload?: ReloadReport | null | undefined;
  holderStatus?: HolderStatus | null | undefined;
}

/**
 * The daemon's view of one app's holder: the command that starts it, its control link, the
 * instances it reports and the ids the daemon gave them (instance 0 has the app's id).
 */
export class HeldApp {
  private link: HolderLink | null = null;
  status: HolderStatus | null = null;
  /** instanceIds[k] = the id of instance k; persisted in the state file. */
  instanceIds: number[];
  lastReload: ReloadReport | null;

  constructor(
    private readonly appId: number,
    private readonly paths: TendPaths,
    private readonly deps: {
      /** A fresh id, or `preferred` when no app or instance has it. */
      allocateId(preferred?: number): number;
      log(event: string, data: Record<string, unknown>): void;
      /** A status arrived (ready, workers, reload progress). */
      changed(status: HolderStatus): void;
    },
    saved: HeldSaved = {},
  ) {
    this.instanceIds =
      Array.isArray(saved.instanceIds) && saved.instanceIds[0] === appId && saved.instanceIds.every((n) => Number.isInteger(n))
        ? saved.instanceIds
        : [appId];
    this.lastReload = saved.lastReload ?? null;
    this.savedStatus = isStatus(saved.holderStatus) ? saved.holderStatus : null;
  }

  /**
   * An id for every instance before any runs (PM2 numbers them at start: rows and ids are the
   * same in every state); `preferred[k]` for instance k when free (resurrect).
   */
  reserve(spec: AppSpec, preferred: readonly number[] = []): void {
    const count = resolveInstanceCount(spec.instances, availableParallelism());
    while (this.instanceIds.length < count) this.instanceIds.push(this.deps.allocateId(preferred[this.instanceIds.length]));
  }

  /** The status a previous daemon last heard: shown after an adoption until the holder answers. */
  private savedStatus: HolderStatus | null;

  /** Writes the spec the holder reads at start, and returns how to start the holder. */
  command(spec: AppSpec): { file: string; args: string[]; env: Record<string, string> } {
    const files = holderFiles(this.paths, this.appId);
    ensureDir(this.paths.holderDir);
    writeFileAtomic(files.spec, JSON.stringify(spec), 0o600, false);
    return {
      file: process.execPath,
      args: [...holderNodeFlags(), packageFile(import.meta.url, 'holder.cjs'), files.spec],
      env: { TEND_HOLDER_SOCKET: files.socket },
    };
  }

  /** After a spawn or an adoption (`adopted`: keep showing the last known status meanwhile). */
  connect(adopted = false): void {
    this.disconnect();
    this.status = adopted ? this.savedStatus : null;
    this.link = new HolderLink(holderFiles(this.paths, this.appId).socket, (s) => this.onStatus(s), this.deps.log);
    this.link.start();
  }

  disconnect(): void {
    this.link?.close();
    this.link = null;
  }

  /** The app was deleted: its holder's spec, socket and log files go too. */
  removeFiles(): void {
    const files = holderFiles(this.paths, this.appId);
    for (const f of [files.spec, files.socket, files.log]) {
      try {
        unlinkSync(f);
      } catch {
        /* not there */
      }
    }
  }

  /** The holder is gone (its exit was seen): nothing runs any more. */
  exited(): void {
    this.disconnect();
    this.status = null;
  }

  private onStatus(s: HolderStatus): void {
    this.status = s;
    // Every instance gets an id for life; scale-down forgets the ids of removed instances.
    const count = Math.max(s.instances, ...s.workers.map((w) => w.instance + 1));
    while (this.instanceIds.length < count) this.instanceIds.push(this.deps.allocateId());
    if (!s.reloading && this.instanceIds.length > count) this.instanceIds.length = Math.max(1, count);
    if (s.lastReload !== null) this.lastReload = s.lastReload;
    this.deps.changed(s);
  }

  /** A request to the holder (reload, scale, restart-instance, signal). */
  get holder(): HolderLink {
    if (this.link === null) throw new Error("the app's holder is not running");
    return this.link;
  }

  get running(): boolean {
    return this.link !== null;
  }

  /** The instance number of an id of this app, or undefined. */
  instanceOf(id: number): number | undefined {
    const k = this.instanceIds.indexOf(id);
    return k === -1 ? undefined : k;
  }
}

function isStatus(v: unknown): v is HolderStatus {
  const s = v as HolderStatus | null | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    Array.isArray(s.workers) &&
    Number.isInteger(s.instances) &&
    s.workers.every(
      (w) => typeof w === 'object' && w !== null && Number.isInteger(w.instance) && (w.pid === null || Number.isInteger(w.pid)),
    )
  );
}
