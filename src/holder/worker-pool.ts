import { availableParallelism } from 'node:os';
import { resolveInstanceCount } from '../lib/listen-address.js';
import type { HolderStatus, InstanceIdMap } from '../protocol/holder.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ExitRecord, InstanceInfo, ReloadReport } from '../protocol/process-info.js';
import { stopProcess } from '../supervisor/kill-tree.js';
import { workerEnv, type WorkerDriver, type WorkerProcess } from './driver.js';
import { newSlot, slotView, transition, type Exit, type Slot, type SlotEffect, type SlotEvent, type SlotState } from './slot-machine.js';

/** One process of the app, as the pool runs it. */
interface Run {
  proc: WorkerProcess;
  startedAt: number;
  exited: Promise<Exit>;
}

export interface PoolDeps {
  log(line: string): void;
  changed(): void;
  /** Variables every worker gets besides the app's env (TEND_APP_NAME, the run token…). */
  extraEnv: Record<string, string>;
  now?(): number;
  /** Instances the first start leaves stopped (the daemon started the app for one instance id). */
  idleAtStart?: ReadonlySet<number>;
  /** The daemon's id of each instance number at start (see InstanceIdMap). */
  ids?: InstanceIdMap;
}

/** A slot has settled when nothing is in flight for it (start, restart, reload, removal). */
const settled = (s: SlotState<Run> | undefined): boolean =>
  s === undefined || !(s.kind === 'launching' || s.kind === 'stopping' || s.kind === 'replacing');

/**
 * The app's processes inside a holder: one slot per instance, each changed only through
 * slot-machine.ts; this class runs the effects (spawns, stops, timers). Operations (start,
 * reload, scale, restart of an instance) run one at a time, in the order they arrive: a
 * `scale` during a `reload` waits for it, and then starts its instances with the reloaded spec.
 */
export class WorkerPool {
  private slots = new Map<number, Slot<Run>>();
  /** A slot's incarnation: an effect of a removed slot never reaches a new slot of that number. */
  private epochs = new Map<number, number>();
  private restartTimers = new Map<number, NodeJS.Timeout>();
  /** When each scheduled restart is due (epoch ms), for `list`'s nextRestartAt. */
  private restartDue = new Map<number, number>();
  /** How each instance's last process ended, for `list` and `describe` (the daemon sees no worker exit). */
  private lastExits = new Map<number, ExitRecord>();
  private proveTimers = new Set<NodeJS.Timeout>();
  private replaceWaiters = new Map<number, (error: string | null) => void>();
  private settleWaiters: Array<{ instance: number; resolve(): void }> = [];
  /** Processes on their way out (retired or killed), awaited by the operation that stopped them. */
  private stops = new Map<number, Set<Promise<unknown>>>();
  /** Spawns not answered yet: a holder stop waits for them, so none starts a process after it. */
  private spawning = new Set<Promise<void>>();
  private ops: Promise<unknown> = Promise.resolve();
  private spec: AppSpec;
  private count: number;
  private ready = false;
  private reloading = false;
  private lastReload: ReloadReport | null = null;
  private closing = false;
  private readonly now: () => number;
  private readonly ids = new Map<number, number>();

  constructor(
    spec: AppSpec,
    private readonly driver: WorkerDriver,
    private readonly deps: PoolDeps,
  ) {
    this.spec = spec;
    this.count = resolveInstanceCount(spec.instances, availableParallelism());
    this.now = deps.now ?? Date.now;
    this.learnIds(deps.ids);
  }

  private learnIds(ids: InstanceIdMap | undefined): void {
    for (const [k, id] of Object.entries(ids ?? {})) if (/^\d+$/.test(k) && Number.isInteger(id)) this.ids.set(Number(k), id);
  }

  /** A PM2 app's worker gets its own instance's id as `pm_id` (the app's id otherwise). */
  private envOf(spec: AppSpec, instance: number): Record<string, string> {
    const id = this.ids.get(instance);
    const extra = 'pm_id' in this.deps.extraEnv && id !== undefined ? { ...this.deps.extraEnv, pm_id: String(id) } : this.deps.extraEnv;
    return workerEnv(spec, instance, extra);
  }

  /** Runs operations one after the other (whatever the previous one's outcome). */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.ops.then(() => {
      if (this.closing) throw Object.assign(new Error("the app's holder is stopping"), { code: 'E_NOT_RUNNING' });
      return op();
    });
    this.ops = run.catch(() => undefined);
    return run;
  }

  /** Starts every instance at once; ready when each one is ready, timed out, or crashed. */
  start(): Promise<void> {
    return this.serial(async () => {
      await this.applyCount(this.deps.idleAtStart);
      this.ready = true;
      this.deps.changed();
    });
  }

  // ---- the machine and its effects -------------------------------------------------------

  private dispatch(instance: number, epoch: number, event: SlotEvent<Run>): boolean {
    const slot = this.slots.get(instance);
    if (slot === undefined || this.epochs.get(instance) !== epoch) return false;
    const { slot: next, effects } = transition(slot, event);
    if (next.state.kind === 'removed') this.slots.delete(instance);
    else this.slots.set(instance, next);
    for (const effect of effects) this.execute(instance, epoch, effect);
    if (next.state !== slot.state) {
      this.deps.changed();
      this.wakeSettled();
    }
    return true;
  }

  private create(instance: number, stopped = false): void {
    const epoch = (this.epochs.get(instance) ?? 0) + 1;
    this.epochs.set(instance, epoch);
    const { slot, effects } = newSlot<Run>(instance, this.spec, stopped);
    this.slots.set(instance, slot);
    for (const effect of effects) this.execute(instance, epoch, effect);
    this.deps.changed();
  }

  private execute(instance: number, epoch: number, e: SlotEffect<Run>): void {
    const send = (event: SlotEvent<Run>): boolean => this.dispatch(instance, epoch, event);
    switch (e.type) {
      case 'spawn': {
        const spawning = this.spawn(instance, e.spec, e.fresh, send).finally(() => this.spawning.delete(spawning));
        this.spawning.add(spawning);
        break;
      }
      case 'retire':
        this.track(instance, this.retire(e.run, e.spec));
        break;
      case 'kill':
        e.run.proc.signal('SIGKILL');
        this.track(instance, e.run.exited);
        break;
      case 'prove': {
        const timer = setTimeout(() => {
          this.proveTimers.delete(timer);
          send({ type: 'proven', run: e.run });
        }, e.ms);
        this.proveTimers.add(timer);
        break;
      }
      case 'schedule-restart':
        this.cancelRestart(instance);
        this.restartTimers.set(
          instance,
          setTimeout(() => {
            this.restartTimers.delete(instance);
            this.restartDue.delete(instance);
            send({ type: 'restart-due' });
          }, e.ms),
        );
        this.restartDue.set(instance, this.now() + e.ms);
        break;
      case 'cancel-restart':
        this.cancelRestart(instance);
        break;
      case 'replaced': {
        const waiter = this.replaceWaiters.get(instance);
        this.replaceWaiters.delete(instance);
        waiter?.(e.error);
        break;
      }
      case 'log':
        this.deps.log(e.line);
        break;
    }
  }

  private cancelRestart(instance: number): void {
    const t = this.restartTimers.get(instance);
    if (t !== undefined) clearTimeout(t);
    this.restartTimers.delete(instance);
    this.restartDue.delete(instance);
  }

  /** Spawns a process; its readiness (or listen_timeout) and its exit become slot events. */
  private async spawn(instance: number, spec: AppSpec, fresh: boolean, send: (e: SlotEvent<Run>) => boolean): Promise<void> {
    let proc: WorkerProcess;
    try {
      proc = await this.driver.spawn(spec, instance, this.envOf(spec, instance));
    } catch (err) {
      send({ type: 'spawned', fresh, run: null, reason: (err as Error).message });
      return;
    }
    const run: Run = {
      proc,
      startedAt: this.now(),
      exited: new Promise((resolve) => proc.onExit((code, signal) => resolve({ code, signal }))),
    };
    this.deps.log(`instance ${instance}: started pid ${proc.pid}${fresh ? ' (reload)' : ''}`);
    const timer = setTimeout(() => send({ type: 'ready-timeout', run }), spec.listenTimeoutMs);
    proc.onReady(() => {
      clearTimeout(timer);
      send({ type: 'ready', run });
    });
    void run.exited.then((exit) => {
      clearTimeout(timer);
      this.lastExits.set(instance, { ...exit, at: this.now(), forced: false, unknown: false });
      send({ type: 'exit', run, exit, uptimeMs: this.now() - run.startedAt });
    });
    // A slot that no longer waits for this process (removed meanwhile) gets a kill effect; a
    // slot that is gone altogether cannot, so the process is ended here.
    if (!send({ type: 'spawned', fresh, run })) {
      proc.signal('SIGKILL');
      this.track(instance, run.exited);
    }
  }

  /**
   * Graceful stop of one process: out of rotation (disconnect / shutdown message / signal) so it
   * finishes what it is doing, then after kill_timeout the stop sequence (kill_signal, SIGKILL).
   */
  private async retire(run: Run, spec: AppSpec): Promise<void> {
    run.proc.retire();
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      run.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), spec.killTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (late) await stopProcess((sig) => run.proc.signal(sig), run.exited, spec.killSignal as NodeJS.Signals, spec.killTimeoutMs);
  }

  private track(instance: number, stop: Promise<unknown>): void {
    const set = this.stops.get(instance) ?? new Set();
    this.stops.set(instance, set);
    const done = stop.then(() => {
      set.delete(done);
    });
    set.add(done);
  }

  /** Every process this instance stopped has exited. */
  private async stopped(instance: number): Promise<void> {
    for (;;) {
      const set = this.stops.get(instance);
      if (set === undefined || set.size === 0) return;
      await Promise.all([...set]);
    }
  }

  private wakeSettled(): void {
    const waiting = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiting) {
      if (settled(this.slots.get(w.instance)?.state)) w.resolve();
      else this.settleWaiters.push(w);
    }
  }

  /** Resolves when nothing is in flight for the instance, and what it stopped has exited. */
  private async settle(instance: number): Promise<void> {
    if (!settled(this.slots.get(instance)?.state)) await new Promise<void>((resolve) => this.settleWaiters.push({ instance, resolve }));
    await this.stopped(instance);
  }

  private send(instance: number, event: SlotEvent<Run>): void {
    this.dispatch(instance, this.epochs.get(instance) ?? 0, event);
  }

  // ---- operations ------------------------------------------------------------------------

  /**
   * Rolling reload, `parallel` instances at a time: start the new process, wait until it is
   * ready (listening, or its ready message with wait_ready) and then stays up for min_ready,
   * then retire the old one. A new process that exits, is not ready within listen_timeout or
   * dies within min_ready stops the reload: it is removed and the old processes keep serving.
   */
  reload(spec: AppSpec | undefined, parallel: number, ids?: InstanceIdMap, askedAt?: number): Promise<ReloadReport> {
    // The same operation asked again (a new daemon finishing what the killed one had asked for):
    // that reload's outcome, awaited if it still runs; a reload runs once per operation.
    if (askedAt !== undefined && this.lastAsked?.at === askedAt) return this.lastAsked.report;
    this.learnIds(ids);
    const report = this.serial(() => this.reloadNow(spec, Math.max(1, parallel)));
    if (askedAt !== undefined) this.lastAsked = { at: askedAt, report };
    return report;
  }

  /** The last reload asked for by a recorded operation (its time), and its outcome. */
  private lastAsked: { at: number; report: Promise<ReloadReport> } | null = null;

  private async reloadNow(spec: AppSpec | undefined, parallel: number): Promise<ReloadReport> {
    this.reloading = true;
    this.deps.changed();
    const next = spec ?? this.spec;
    const count = spec === undefined ? this.count : resolveInstanceCount(spec.instances, availableParallelism());
    const replaced: number[] = [];
    const report = (ok: boolean, failedInstance: number | null, reason: string | null): ReloadReport => {
      this.lastReload = { at: this.now(), ok, replaced, failedInstance, reason, stderr: [] };
      return this.lastReload;
    };
    try {
      // The lowest-numbered instances stay (numbers may have gaps after a delete, see removeInstance).
      const instances = [...this.slots.keys()].sort((a, b) => a - b).slice(0, count);
      for (let at = 0; at < instances.length; at += parallel) {
        const batch = instances.slice(at, at + parallel);
        const results = await Promise.all(batch.map((i) => this.replace(i, next)));
        for (const [k, r] of results.entries()) if (r === null) replaced.push(batch[k] as number);
        const failed = results.findIndex((r) => r !== null);
        if (failed !== -1) {
          const why = results[failed] as string;
          this.deps.log(`reload stopped at instance ${batch[failed]}: ${why}; the other instances keep their processes`);
          return report(false, batch[failed] as number, why);
        }
      }
      this.spec = next;
      this.count = count;
      await this.applyCount();
      this.deps.log(`reload done: ${replaced.length} instance(s) replaced`);
      return report(true, null, null);
    } finally {
      this.reloading = false;
      this.deps.changed();
    }
  }

  /** One instance of a reload: null when replaced, else why its new process failed. */
  private async replace(instance: number, spec: AppSpec): Promise<string | null> {
    const done = new Promise<string | null>((resolve) => this.replaceWaiters.set(instance, resolve));
    this.send(instance, { type: 'replace', spec });
    const error = await done;
    await this.stopped(instance);
    return error;
  }

  /** Live scaling: start instances on the lowest free numbers, retire the highest-numbered extra ones. */
  scale(instances: number, ids?: InstanceIdMap): Promise<HolderStatus> {
    this.learnIds(ids);
    return this.serial(async () => {
      this.count = resolveInstanceCount(instances, availableParallelism());
      await this.applyCount();
      return this.status();
    });
  }

  /** Operations run one at a time, so every slot here is one that stays unless this removes it. */
  private async applyCount(idle?: ReadonlySet<number>): Promise<void> {
    const kept = [...this.slots.keys()].sort((a, b) => a - b);
    const touched = kept.slice(this.count);
    for (const i of touched) this.send(i, { type: 'remove' });
    // PM2 gives a new process the lowest free NODE_APP_INSTANCE.
    for (let i = 0, n = kept.length; n < this.count; i++) {
      if (this.slots.has(i)) continue;
      this.create(i, idle?.has(i) === true);
      touched.push(i);
      n += 1;
    }
    await Promise.all(touched.map((i) => this.settle(i)));
  }

  /**
   * `tend delete <instance id>` (PM2 deletes one process): that instance's process retires and
   * its number is free; the others keep theirs, and the count goes down by one.
   */
  removeInstance(instance: number): Promise<HolderStatus> {
    return this.serial(async () => {
      if (!this.slots.has(instance)) throw noInstance(instance);
      if (this.count <= 1) throw Object.assign(new Error('the last instance of an app is deleted with the app'), { code: 'E_USAGE' });
      this.count -= 1;
      this.send(instance, { type: 'remove' });
      await this.settle(instance);
      return this.status();
    });
  }

  /** `tend send`: a line to the stdin of one instance's process (or of each); never waits. */
  sendLine(instance: number | null, line: string): { bytes: number; processes: number } {
    if (instance !== null && !this.slots.has(instance)) throw noInstance(instance);
    let bytes = 0;
    let processes = 0;
    for (const slot of this.slots.values()) {
      const run = slotView(slot.state).run;
      if ((instance === null || slot.instance === instance) && run !== null) {
        bytes += run.proc.write(line);
        processes += 1;
      }
    }
    if (processes === 0) throw Object.assign(new Error('no process of it runs'), { code: 'E_NOT_RUNNING' });
    return { bytes, processes };
  }

  /** Stop then start one instance (`tend restart <instance id>`). */
  restartInstance(instance: number): Promise<HolderStatus> {
    return this.serial(async () => {
      if (!this.slots.has(instance)) throw noInstance(instance);
      this.send(instance, { type: 'restart' });
      await this.settle(instance);
      return this.status();
    });
  }

  /** `tend stop <instance id>`: the process retires and no restart follows until startInstance. */
  stopInstance(instance: number): Promise<HolderStatus> {
    return this.onInstance(instance, { type: 'stop' });
  }

  /** `tend start <instance id>`: a stopped or errored instance runs again (a running one is left alone). */
  startInstance(instance: number): Promise<HolderStatus> {
    return this.onInstance(instance, { type: 'start' });
  }

  /** `tend reset`: restart counters of one instance (or every one) back to zero. */
  resetCounters(instance: number | null): HolderStatus {
    if (instance !== null && !this.slots.has(instance)) throw noInstance(instance);
    for (const i of instance === null ? [...this.slots.keys()] : [instance]) this.send(i, { type: 'reset' });
    this.deps.changed();
    return this.status();
  }

  /** One instance's event, in turn with the other operations; answers once it settled. */
  private onInstance(instance: number, event: SlotEvent<Run>): Promise<HolderStatus> {
    return this.serial(async () => {
      if (!this.slots.has(instance)) throw noInstance(instance);
      this.send(instance, event);
      await this.settle(instance);
      return this.status();
    });
  }

  signal(instance: number | null, signal: NodeJS.Signals): number {
    let n = 0;
    for (const slot of this.slots.values()) {
      const run = slotView(slot.state).run;
      if ((instance === null || slot.instance === instance) && run !== null) {
        run.proc.signal(signal);
        n += 1;
      }
    }
    return n;
  }

  /** Holder shutdown: every process retires at once (kill_timeout bounded), a reload included. */
  async stopAll(): Promise<void> {
    this.closing = true;
    for (const t of this.proveTimers) clearTimeout(t);
    const instances = [...this.slots.keys()];
    for (const i of instances) this.send(i, { type: 'remove' });
    await Promise.all([...this.spawning]);
    await Promise.all(instances.map((i) => this.settle(i)));
  }

  status(): HolderStatus {
    const workers: InstanceInfo[] = [...this.slots.values()]
      .sort((a, b) => a.instance - b.instance)
      .map((s) => {
        const view = slotView(s.state);
        return {
          instance: s.instance,
          pid: view.run?.proc.pid ?? null,
          status: view.status,
          restarts: s.restarts,
          startedAt: view.run?.startedAt ?? null,
          lastExit: this.lastExits.get(s.instance) ?? null,
          reason: s.reason ?? null,
          nextRestartAt: view.status === 'waiting-restart' ? (this.restartDue.get(s.instance) ?? null) : null,
        };
      });
    return {
      kind: this.driver.kind,
      instances: this.count,
      workers,
      ready: this.ready,
      reloading: this.reloading,
      lastReload: this.lastReload,
    };
  }
}

function noInstance(instance: number): Error {
  return Object.assign(new Error(`no instance ${instance}`), { code: 'E_APP_NOT_FOUND' });
}
