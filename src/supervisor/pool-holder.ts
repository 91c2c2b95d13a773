import { chownSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { ensureDir } from '../lib/ensure-dir.js';
import { resolveInstanceCount } from '../lib/listen-address.js';
import { packageFile } from '../lib/package-files.js';
import { readIds } from '../procfs/procfs.js';
import type { HolderStatus, InstanceIdMap } from '../protocol/holder.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ReloadReport } from '../protocol/process-info.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { holderFiles, OWN_DIR_FILES, type TendPaths } from '../store/paths.js';
import { HolderLink } from './holder-link.js';
import { holderNodeFlags } from './holder-flags.js';
import { linkInto, pointAt, prepareOwnDir } from './own-run-dir.js';

/** Cluster apps, socket-activated apps and proxy-mode apps run under a holder process instead of directly. */
export function isPooled(spec: AppSpec): boolean {
  return spec.execMode === 'cluster' || (Array.isArray(spec.listen) && spec.listen.length > 0) || spec.proxy !== undefined;
}

/** The addresses the app's holder listens on: `listen` sockets, or proxy mode's public address. */
export function poolAddresses(spec: AppSpec): string[] {
  return [...(spec.listen ?? []), ...(spec.proxy === undefined ? [] : [spec.proxy.listen])];
}

/** Whether the holder `pid` runs as the user and group `spec` asks for (tend's own without `uid`/`gid`). */
export function holderRunsAs(pid: number | null, spec: AppSpec): boolean {
  const ids = pid === null ? undefined : readIds(pid);
  const want = spec.runAs ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  return ids !== undefined && ids.uid === want.uid && ids.gid === want.gid;
}

/** A fork-mode Node app, run with tend's hook: a reload hands its listening sockets to the next process (handoff-reload.ts). */
export function handsOffSockets(spec: AppSpec): boolean {
  return spec.exec.interpreter === 'node' && !spec.exec.shell && spec.pty === undefined && !isPooled(spec);
}

/** What the state file keeps of a holder for the next daemon. */
export interface PoolSaved {
  instanceIds?: number[] | undefined;
  lastReload?: ReloadReport | null | undefined;
  holderStatus?: HolderStatus | null | undefined;
  carriedRestarts?: Record<string, number> | undefined;
  heldRestarts?: Record<string, number> | undefined;
}

/**
 * The daemon's view of one app's holder: the command that starts it, its control link, the
 * instances it reports and the ids the daemon gave them (the first instance gets the app's id;
 * an id always names that one process, PM2's pm_id).
 */
export class PoolHolder {
  private link: HolderLink | null = null;
  status: HolderStatus | null = null;
  /**
   * instanceIds[k] = the id of instance k, NO_INSTANCE where the running holder has no instance
   * k (one was deleted: the others keep their numbers, as PM2 keeps NODE_APP_INSTANCE);
   * persisted in the state file.
   */
  instanceIds: number[];
  lastReload: ReloadReport | null;
  /**
   * carriedRestarts[id] = the restarts of instance `id` counted by holders that are gone (a new
   * holder counts its instances from zero): a row shows these plus the running holder's count,
   * so a restart of the app never makes it go down. heldRestarts[id] = the running holder's last
   * count of it (its last status lists no instance once it stops them). Both in the state file.
   */
  carriedRestarts: Record<string, number>;
  heldRestarts: Record<string, number>;

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
    saved: PoolSaved = {},
  ) {
    const ids = saved.instanceIds;
    const valid =
      Array.isArray(ids) &&
      ids.every((n) => Number.isInteger(n) && n >= NO_INSTANCE) &&
      ids.some((n) => n !== NO_INSTANCE) &&
      new Set(ids.filter((n) => n !== NO_INSTANCE)).size === ids.filter((n) => n !== NO_INSTANCE).length;
    this.instanceIds = valid ? ids : [];
    this.lastReload = saved.lastReload ?? null;
    this.savedStatus = isStatus(saved.holderStatus) ? saved.holderStatus : null;
    this.carriedRestarts = counts(saved.carriedRestarts);
    this.heldRestarts = counts(saved.heldRestarts);
  }

  /**
   * An id for every instance before any runs (PM2 numbers them at start: rows and ids are the
   * same in every state); `preferred[k]` for instance k when free (resurrect).
   */
  reserve(spec: AppSpec, preferred: readonly number[] = []): void {
    const count = resolveInstanceCount(spec.instances, availableParallelism());
    // The first instance has the app's id, or the one it had when saved (its instance 0 may have been deleted).
    const first = preferred[0];
    if (this.ids().length === 0)
      this.instanceIds = [first === undefined || first === this.appId ? this.appId : this.deps.allocateId(first)];
    while (this.ids().length < count) this.instanceIds.push(this.deps.allocateId(preferred[this.ids().length]));
  }

  /** The ids of the instances, in instance order (what `tend save` keeps). */
  ids(): number[] {
    return this.instanceIds.filter((n) => n !== NO_INSTANCE);
  }

  /**
   * `tend delete <instance id>` while no holder runs: the id goes, the others keep theirs (the
   * next holder numbers its instances 0…n-1, in the same order).
   */
  forget(id: number): void {
    this.instanceIds = this.ids().filter((n) => n !== id);
    this.clearCounts(id);
  }

  /** The restarts instance `id` shows: those of the holders before, plus `counted` by the running one (its last report by default). */
  restartsOf(id: number, counted = this.heldRestarts[String(id)] ?? 0): number {
    return (this.carriedRestarts[String(id)] ?? 0) + counted;
  }

  /** `tend reset` (and a forgotten instance): the counts of instance `id`, or of every instance, start from zero. */
  clearCounts(id?: number): void {
    if (id === undefined) {
      this.carriedRestarts = {};
      this.heldRestarts = {};
    } else {
      delete this.carriedRestarts[String(id)];
      delete this.heldRestarts[String(id)];
    }
  }

  /** The holder is gone (or a new one is about to start): what it counted is carried, once. */
  private carryOver(): void {
    this.status = null;
    for (const [id, n] of Object.entries(this.heldRestarts)) this.carriedRestarts[id] = this.restartsOf(Number(id), n);
    this.heldRestarts = {};
  }

  /** The status a previous daemon last heard: shown after an adoption until the holder answers. */
  private savedStatus: HolderStatus | null;

  /**
   * Writes the spec the holder reads at start, and returns how to start the holder. A holder that
   * runs as another user works in its own folder (see prepareOwnDir), with the spec hard-linked
   * there and its control socket reached through `files.socket`, a symlink.
   */
  command(spec: AppSpec): { file: string; args: string[]; env: Record<string, string>; cwd?: string } {
    const files = holderFiles(this.paths, this.appId);
    ensureDir(this.paths.holderDir);
    writeFileAtomic(files.spec, JSON.stringify(spec), 0o600, false);
    const holder = [...holderNodeFlags(), packageFile(import.meta.url, 'holder.cjs')];
    if (spec.runAs === undefined)
      return { file: process.execPath, args: [...holder, files.spec], env: { TEND_HOLDER_SOCKET: files.socket, ...this.startEnv() } };
    const dir = prepareOwnDir(this.paths, this.appId, spec.runAs);
    chownSync(files.spec, spec.runAs.uid, spec.runAs.gid);
    linkInto(files.spec, dir, OWN_DIR_FILES.spec);
    pointAt(files.socket, join(dir, OWN_DIR_FILES.socket));
    return {
      file: process.execPath,
      args: [...holder, OWN_DIR_FILES.spec],
      env: { TEND_HOLDER_SOCKET: OWN_DIR_FILES.socket, ...this.startEnv() },
      cwd: dir,
    };
  }

  /** After a spawn or an adoption of the holder `pid` (`adopted`: keep showing the last known status meanwhile). */
  connect(pid: number | null, adopted = false): void {
    this.disconnect();
    this.status = adopted ? this.savedStatus : null;
    this.link = new HolderLink(holderFiles(this.paths, this.appId).socket, (s) => this.onStatus(s), this.deps.log, pid);
    this.link.start();
  }

  /**
   * What a new holder is told of its instances (see its main.ts): the id of each (it numbers
   * them 0…n-1, so the ids keep their order and lose their gaps), and which to leave stopped.
   */
  private startEnv(): Record<string, string> {
    this.carryOver();
    this.instanceIds = this.ids();
    const only = this.startOnly === null ? -1 : this.instanceIds.indexOf(this.startOnly);
    this.startOnly = null;
    const idle = only === -1 ? [] : this.instanceIds.map((_, k) => k).filter((k) => k !== only);
    return { TEND_HOLDER_IDS: this.instanceIds.join(','), ...(idle.length > 0 ? { TEND_HOLDER_IDLE: idle.join(',') } : {}) };
  }

  /**
   * Ids for a running holder that goes to `count` instances (scale, a reload's new spec): the
   * instances it will add take the lowest free numbers, as its WorkerPool does, and get their ids
   * now, so each worker starts with its own (`pm_id`).
   */
  idsFor(spec: AppSpec): InstanceIdMap {
    const count = resolveInstanceCount(spec.instances, availableParallelism());
    for (let k = 0, n = this.ids().length; n < count; k++) {
      while (this.instanceIds.length <= k) this.instanceIds.push(NO_INSTANCE);
      if (this.instanceIds[k] !== NO_INSTANCE) continue;
      this.instanceIds[k] = this.deps.allocateId();
      n += 1;
    }
    return Object.fromEntries(this.instanceIds.flatMap((id, k) => (id === NO_INSTANCE ? [] : [[String(k), id]])));
  }

  /** The next holder start runs only the instance of this id, the others stay stopped (PM2's `start <id>`). */
  startOnly: number | null = null;

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
    this.carryOver();
  }

  private onStatus(s: HolderStatus): void {
    this.status = s;
    // Every instance gets an id for life (given before it runs: see reserve); scale-down and
    // delete forget the ids of removed instances once the holder reports its whole set (not
    // while it starts or stops its processes).
    const reported = new Set(s.workers.map((w) => w.instance));
    for (const k of reported) {
      while (this.instanceIds.length <= k) this.instanceIds.push(NO_INSTANCE);
      if (this.instanceIds[k] === NO_INSTANCE) this.instanceIds[k] = this.deps.allocateId();
    }
    for (const w of s.workers) if (Number.isInteger(w.restarts)) this.heldRestarts[String(this.instanceIds[w.instance])] = w.restarts;
    if (!s.reloading && reported.size > 0 && reported.size >= s.instances) {
      this.instanceIds = this.instanceIds.map((id, k) => (reported.has(k) ? id : NO_INSTANCE));
      while (this.instanceIds.at(-1) === NO_INSTANCE) this.instanceIds.pop();
      for (const id of Object.keys({ ...this.carriedRestarts, ...this.heldRestarts }))
        if (!this.instanceIds.includes(Number(id))) this.clearCounts(Number(id));
    }
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
    const k = id === NO_INSTANCE ? -1 : this.instanceIds.indexOf(id);
    return k === -1 ? undefined : k;
  }
}

/** Where the ids of a holder with no instance k say so. */
export const NO_INSTANCE = -1;

/** Restart counts by instance id, as saved (anything else: none). */
function counts(v: unknown): Record<string, number> {
  const valid =
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(v).every(([id, n]) => /^\d+$/.test(id) && Number.isInteger(n) && (n as number) >= 0);
  return valid ? { ...(v as Record<string, number>) } : {};
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
