import { availableParallelism } from 'node:os';
import { resolveInstanceCount } from '../lib/listen-address.js';
import type { HolderStatus } from '../protocol/holder.js';
import type { AppSpec, InstanceInfo, ProcessStatus, ReloadReport } from '../protocol/model.js';
import { decideRestart, FRESH_HISTORY, type RestartHistory } from '../supervisor/restart-policy.js';
import { workerEnv, type WorkerDriver, type WorkerProcess } from './driver.js';

interface Live {
  proc: WorkerProcess;
  startedAt: number;
  ready: boolean;
  exited: Promise<{ code: number | null; signal: string | null }>;
  retiring: boolean;
}

interface Slot {
  instance: number;
  /** The spec its current process was started with (a failed reload leaves old ones as they were). */
  spec: AppSpec;
  live: Live | null;
  status: ProcessStatus;
  restarts: number;
  history: RestartHistory;
  timer: NodeJS.Timeout | null;
  /** Removed by a scale-down or a stop: its process is retiring, no restart follows. */
  removed: boolean;
}

export interface PoolDeps {
  log(line: string): void;
  changed(): void;
  /** Variables every worker gets besides the app's env (TEND_APP_NAME, the run token…). */
  extraEnv: Record<string, string>;
  now?(): number;
}

/**
 * The app's processes inside a holder: one slot per instance, crash restarts with the same
 * policy as the daemon's, scaling, and the rolling reload with rollback.
 */
export class WorkerPool {
  private slots = new Map<number, Slot>();
  private spec: AppSpec;
  private count: number;
  private ready = false;
  private reloading = false;
  private lastReload: ReloadReport | null = null;
  private closing = false;
  private readonly now: () => number;

  constructor(spec: AppSpec, private readonly driver: WorkerDriver, private readonly deps: PoolDeps) {
    this.spec = spec;
    this.count = resolveInstanceCount(spec.instances, availableParallelism());
    this.now = deps.now ?? Date.now;
  }

  /** Starts every instance at once; ready when each one is ready or has given up / timed out. */
  async start(): Promise<void> {
    const started: Promise<unknown>[] = [];
    for (let i = 0; i < this.count; i++) started.push(this.startSlot(this.newSlot(i)));
    await Promise.allSettled(started);
    this.ready = true;
    this.deps.changed();
  }

  private newSlot(instance: number): Slot {
    const slot: Slot = { instance, spec: this.spec, live: null, status: 'launching', restarts: 0, history: FRESH_HISTORY, timer: null, removed: false };
    this.slots.set(instance, slot);
    return slot;
  }

  /** Spawns the slot's process and waits for it to be ready (or listen_timeout: online anyway). */
  private async startSlot(slot: Slot): Promise<void> {
    slot.status = 'launching';
    this.deps.changed();
    let live: Live;
    try {
      live = await this.spawn(slot.spec, slot.instance);
    } catch (err) {
      this.deps.log(`instance ${slot.instance}: could not start: ${(err as Error).message}`);
      this.afterExit(slot, { code: null, signal: null }, 0);
      return;
    }
    this.adopt(slot, live);
    const outcome = await this.waitReady(live, slot.spec);
    if (outcome.ok || outcome.timedOut) this.markOnline(slot, live);
  }

  private async spawn(spec: AppSpec, instance: number): Promise<Live> {
    const proc = await this.driver.spawn(spec, instance, workerEnv(spec, instance, this.deps.extraEnv));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc.onExit((code, signal) => resolve({ code, signal })));
    const live: Live = { proc, startedAt: this.now(), ready: false, exited, retiring: false };
    this.deps.log(`instance ${instance}: started pid ${proc.pid}`);
    return live;
  }

  /** Makes `live` the slot's process: its unrequested exit is a crash of that instance. */
  private adopt(slot: Slot, live: Live): void {
    slot.live = live;
    void live.exited.then((exit) => {
      if (slot.live !== live) return;
      slot.live = null;
      if (live.retiring || slot.removed || this.closing) {
        slot.status = 'stopped';
        this.deps.changed();
        return;
      }
      this.afterExit(slot, exit, this.now() - live.startedAt);
    });
  }

  private markOnline(slot: Slot, live: Live): void {
    if (slot.live !== live) return;
    live.ready = true;
    slot.status = 'online';
    this.deps.changed();
  }

  private afterExit(slot: Slot, exit: { code: number | null; signal: string | null }, uptimeMs: number): void {
    const d = decideRestart(slot.history, { ...exit, uptimeMs }, slot.spec);
    slot.history = d.history;
    this.deps.log(`instance ${slot.instance}: ${d.reason}`);
    if (d.action === 'give-up') {
      slot.status = d.status;
      this.deps.changed();
      return;
    }
    slot.status = 'waiting-restart';
    this.deps.changed();
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (slot.removed || this.closing) return;
      slot.restarts += 1;
      void this.startSlot(slot);
    }, d.delayMs);
  }

  /** Resolves when the process is ready, exits, or listen_timeout passes. */
  private waitReady(live: Live, spec: AppSpec): Promise<{ ok: boolean; timedOut: boolean; reason: string | null }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, timedOut: true, reason: `not ready within listen_timeout (${spec.listenTimeoutMs} ms)` }), spec.listenTimeoutMs);
      live.proc.onReady(() => { clearTimeout(timer); resolve({ ok: true, timedOut: false, reason: null }); });
      void live.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        resolve({ ok: false, timedOut: false, reason: signal !== null ? `killed by ${signal} before it was ready` : `exited with code ${code ?? 'unknown'} before it was ready` });
      });
    });
  }

  /** Graceful stop of one process: retire (disconnect / shutdown message / signal), kill_signal, SIGKILL. */
  private async retire(live: Live, spec: AppSpec): Promise<void> {
    live.retiring = true;
    live.proc.retire();
    const timers: NodeJS.Timeout[] = [
      setTimeout(() => live.proc.signal(spec.killSignal as NodeJS.Signals), spec.killTimeoutMs),
      setTimeout(() => live.proc.signal('SIGKILL'), spec.killTimeoutMs * 2),
    ];
    await live.exited;
    for (const t of timers) clearTimeout(t);
  }

  /**
   * Rolling reload, `parallel` instances at a time: start the new process, wait until it is
   * ready, then retire the old one. A new process that exits or is not ready within
   * listen_timeout stops the reload: it is removed and every old process keeps serving.
   */
  async reload(spec: AppSpec | undefined, parallel: number): Promise<ReloadReport> {
    if (this.reloading) throw Object.assign(new Error('a reload of this app is already running'), { code: 'E_RELOAD_BUSY' });
    this.reloading = true;
    const next = spec ?? this.spec;
    const replaced: number[] = [];
    const report = (ok: boolean, failedInstance: number | null, reason: string | null): ReloadReport => {
      this.lastReload = { at: this.now(), ok, replaced, failedInstance, reason, stderr: [] };
      return this.lastReload;
    };
    try {
      if (spec !== undefined) this.count = resolveInstanceCount(spec.instances, availableParallelism());
      const instances = [...this.slots.keys()].filter((i) => i < this.count).sort((a, b) => a - b);
      for (let at = 0; at < instances.length; at += Math.max(1, parallel)) {
        const batch = instances.slice(at, at + Math.max(1, parallel));
        const results = await Promise.all(batch.map((i) => this.replace(this.slots.get(i) as Slot, next)));
        for (const [k, r] of results.entries()) if (r === null) replaced.push(batch[k] as number);
        const failed = results.findIndex((r) => r !== null);
        if (failed !== -1) {
          const why = results[failed] as string;
          this.deps.log(`reload stopped at instance ${batch[failed]}: ${why}; the other instances keep their processes`);
          return report(false, batch[failed] as number, why);
        }
      }
      this.spec = next;
      await this.applyCount();
      this.deps.log(`reload done: ${replaced.length} instance(s) replaced`);
      return report(true, null, null);
    } finally {
      this.reloading = false;
      this.deps.changed();
    }
  }

  /** One instance of a reload: null when replaced, else why it failed (the old process stays). */
  private async replace(slot: Slot, spec: AppSpec): Promise<string | null> {
    let fresh: Live;
    try {
      fresh = await this.spawn(spec, slot.instance);
    } catch (err) {
      return `could not start: ${(err as Error).message}`;
    }
    const outcome = await this.waitReady(fresh, spec);
    // With wait_ready the app must say it is ready; without it, a process still running at
    // listen_timeout counts as ready (an app that never listens, like a queue worker).
    if (!outcome.ok && !(outcome.timedOut && !spec.waitReady)) {
      fresh.retiring = true;
      fresh.proc.signal('SIGKILL');
      await fresh.exited;
      return outcome.reason;
    }
    const old = slot.live;
    slot.spec = spec;
    slot.history = FRESH_HISTORY;
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    this.adopt(slot, fresh);
    this.markOnline(slot, fresh);
    if (old !== null) await this.retire(old, slot.spec);
    return null;
  }

  /** Live scaling: start the missing instances, retire the highest-numbered extra ones. */
  async scale(instances: number): Promise<HolderStatus> {
    this.count = resolveInstanceCount(instances, availableParallelism());
    await this.applyCount();
    return this.status();
  }

  private async applyCount(): Promise<void> {
    const work: Promise<void>[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = this.slots.get(i);
      if (slot === undefined) work.push(this.startSlot(this.newSlot(i)));
    }
    for (const slot of [...this.slots.values()].filter((s) => s.instance >= this.count)) work.push(this.removeSlot(slot));
    await Promise.all(work);
  }

  private async removeSlot(slot: Slot): Promise<void> {
    slot.removed = true;
    if (slot.timer !== null) clearTimeout(slot.timer);
    if (slot.live !== null) await this.retire(slot.live, slot.spec);
    this.slots.delete(slot.instance);
    this.deps.changed();
  }

  /** Stop then start one instance (`tend restart <instance id>`). */
  async restartInstance(instance: number): Promise<HolderStatus> {
    const slot = this.slots.get(instance);
    if (slot === undefined) throw Object.assign(new Error(`no instance ${instance}`), { code: 'E_APP_NOT_FOUND' });
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    if (slot.live !== null) await this.retire(slot.live, slot.spec);
    slot.restarts += 1;
    slot.history = FRESH_HISTORY;
    await this.startSlot(slot);
    return this.status();
  }

  /** `tend stop <instance id>`: the process retires and no restart follows until startInstance. */
  async stopInstance(instance: number): Promise<HolderStatus> {
    const slot = this.slotOf(instance);
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    if (slot.live !== null) await this.retire(slot.live, slot.spec);
    slot.status = 'stopped';
    this.deps.changed();
    return this.status();
  }

  /** `tend start <instance id>`: a stopped or errored instance runs again (a running one is left alone). */
  async startInstance(instance: number): Promise<HolderStatus> {
    const slot = this.slotOf(instance);
    if (slot.live === null && slot.timer === null) {
      slot.history = FRESH_HISTORY;
      await this.startSlot(slot);
    }
    return this.status();
  }

  /** `tend reset`: restart counters of one instance (or every one) back to zero. */
  resetCounters(instance: number | null): HolderStatus {
    for (const slot of instance === null ? this.slots.values() : [this.slotOf(instance)]) {
      slot.restarts = 0;
      slot.history = FRESH_HISTORY;
    }
    this.deps.changed();
    return this.status();
  }

  private slotOf(instance: number): Slot {
    const slot = this.slots.get(instance);
    if (slot === undefined) throw Object.assign(new Error(`no instance ${instance}`), { code: 'E_APP_NOT_FOUND' });
    return slot;
  }

  signal(instance: number | null, signal: NodeJS.Signals): number {
    let n = 0;
    for (const slot of this.slots.values()) {
      if ((instance === null || slot.instance === instance) && slot.live !== null) {
        slot.live.proc.signal(signal);
        n += 1;
      }
    }
    return n;
  }

  /** Holder shutdown: every process retires at once (kill_timeout bounded). */
  async stopAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.slots.values()].map((s) => {
      if (s.timer !== null) clearTimeout(s.timer);
      return s.live === null ? Promise.resolve() : this.retire(s.live, s.spec);
    }));
  }

  status(): HolderStatus {
    const workers: InstanceInfo[] = [...this.slots.values()].sort((a, b) => a.instance - b.instance).map((s) => ({
      instance: s.instance,
      pid: s.live?.proc.pid ?? null,
      status: s.status,
      restarts: s.restarts,
      startedAt: s.live?.startedAt ?? null,
    }));
    return { kind: this.driver.kind, instances: this.count, workers, ready: this.ready, reloading: this.reloading, lastReload: this.lastReload };
  }
}
