import { TendError } from '../errors.js';
import type { ApplyAction, ApplyMode, ApplyResult, PlanStep, Target } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import type { ProcessHandle } from './process-handle.js';
import type { OperationEntry } from './handle-types.js';
import { beginOperation } from './operations.js';
import type { DependencyWaits, StateWaiters } from './state-waits.js';
import { sendLine, signalTarget } from './app-signals.js';
import { forEachBounded, inBatches } from '../lib/bounded.js';
import { findByName } from './targets.js';
import { poolAddresses, isPooled } from './pool-holder.js';
import { applyStep, type ApplyStep } from './apply-step.js';
import { checkPortsFree } from '../lib/listen-address.js';
import type { AppReloads } from './fork-reloads.js';
import { findInstance, rowsOf, scalePool, type InstanceFigures } from './pool-ops.js';
import { hasOtherInstances, instanceVerb, resetCounters, startIdleInstances, type InstanceDeps } from './instance-ops.js';
import { planApply } from './apply-plan.js';
import { specsEqual } from '../config/specs-equal.js';
import { isScheduled } from '../config/schedule.js';

/**
 * What the commands need of the registry (see Supervisor): its apps read-only, and the few
 * registry acts a command triggers (create an app, publish a change, record an operation).
 */
export interface CommandContext {
  readonly apps: ReadonlyMap<number, ProcessHandle>;
  readonly waiters: StateWaiters;
  readonly dependencies: DependencyWaits;
  readonly reloads: () => AppReloads;
  readonly figures: InstanceFigures;
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** (Re)configures an app's log files for its spec. */
  configureLogs(id: number, spec: AppSpec): void;
  lastStderrLines?(id: number, spec: AppSpec, count: number): Promise<string[]>;
  /** Whole apps a target names (an instance id is refused). */
  find(target: Target): ProcessHandle[];
  allocateId(preferred?: number): number;
  create(record: { id: number; spec: AppSpec; createdAt: number }): ProcessHandle;
  changed(h: ProcessHandle): void;
  /** The app's current spec is not in state.json yet (its spawn intents carry it). */
  unsaved(id: number): void;
  /** Records an operation before it acts (see Persistence.operation). */
  operation(entry: OperationEntry): void;
  /** State and status written now (a `tend list` right after the answer sees them). */
  publishNow(): void;
  /** Runs `fn` once a write holds every change made so far (see WriteScheduler). */
  afterWrite(fn: () => void): void;
}

/** A start answers once the app is ready: wait_ready apps, and pooled apps (all instances ready). */
const waitsReady = (spec: AppSpec): boolean => spec.waitReady || isPooled(spec);
const runsAtCreation = (spec: AppSpec): boolean => !isScheduled(spec) || spec.runAtStart === true;
/** An app's rows (one per instance) as `process.apply` answers them. */
const applied = (action: ApplyAction, rows: ProcessInfo[]): ApplyResult => ({ action, process: rows[0] as ProcessInfo, rows });
/** What applyStep and the plan read of an app. */
export const nowOf = (h: ProcessHandle) => ({ state: h.state, spec: h.spec, holderRunning: h.pool?.running === true });

/**
 * Bulk commands (`restart all`, `stop all`, …) keep at most this many apps between "stop
 * signalled" and "new process spawned" at once: this bounds the number of processes stopping
 * and starting on the machine at the same time, and the work queued in the daemon.
 */
const BULK_SPAWNS_IN_FLIGHT = 32;
/** A start prepares an app's pipes and spawn request (a fraction of a ms each): this many per event-loop turn. */
const SPAWNS_PER_TURN = 8;
/** Stops are cheap (a signal): they are sent this many per event-loop turn. */
const BULK_SIGNALS_PER_TURN = 64;

/** The commands on apps (start, stop, restart, reload, scale, delete, …), over the registry's context. */
export class AppCommands {
  readonly instanceDeps: InstanceDeps = {
    rows: (h) => this.rows([h]),
    startApp: (h) => this.startHandles([h]),
    begin: (h, spec) => this.begin('scale', 'run', [h], new Map([[h, spec]])),
    changed: (h) => this.ctx.changed(h),
    written: () => this.answer([]).then(() => undefined),
  };

  constructor(private readonly ctx: CommandContext) {}

  /**
   * Zero-downtime reload (`tend reload`): pooled apps replace their processes `parallel` at a time
   * (see the holder's WorkerPool); other apps restart; stopped ones start (see applyStep).
   */
  async reload(target: Target, opts: { parallel?: number; verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    return one !== null ? instanceVerb(one, 'restart', this.instanceDeps) : this.reloadHandles(this.ctx.find(target), opts);
  }

  /** A watch's reload of the app of this id, whole (a numeric target would name one instance). */
  reloadApp(id: number, opts: { verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    const h = this.ctx.apps.get(id);
    return h === undefined ? Promise.resolve([]) : this.reloadHandles([h], opts);
  }

  /** Sequential over apps, so a failure stops before the next app is touched. */
  private async reloadHandles(handles: ProcessHandle[], opts: { parallel?: number; verb?: 'reload' | 'watch' }): Promise<ProcessInfo[]> {
    // Every app of the reload is recorded before the first is touched: a daemon killed half-way
    // leaves the rest to the next one.
    this.begin(opts.verb ?? 'reload', 'run', handles);
    const reloads = this.ctx.reloads();
    try {
      for (const h of handles) await this.act(h, h.spec, reloads.step(h, applyStep(nowOf(h), h.spec, 'reload')), opts.parallel ?? 1);
    } finally {
      // A failed reload is an answered one: nothing is left to finish.
      for (const h of handles) h.finished();
    }
    this.ctx.publishNow();
    return reloads.annotate(this.rows(handles));
  }

  /** `tend scale`: the instance count of a cluster / socket-activated app, live. */
  async scale(target: Target, instances: number, relative: boolean): Promise<ProcessInfo[]> {
    const handles = this.ctx.find(target);
    try {
      await scalePool(handles, instances, relative, (specs) => this.begin('scale', 'run', handles, specs));
    } finally {
      for (const h of handles) h.finished();
    }
    this.ctx.publishNow();
    return this.rows(handles);
  }

  /** The list rows of these apps (one per instance for a pooled app). */
  rows(handles: ProcessHandle[]): ProcessInfo[] {
    const now = this.ctx.now();
    return handles.flatMap((h) => rowsOf(h, now, this.ctx.figures));
  }

  async lastStderr(h: ProcessHandle): Promise<string[]> {
    return this.ctx.lastStderrLines?.(h.id, h.spec, 10) ?? [];
  }

  /**
   * Starts a new app, or an existing stopped one of that name with the new spec. A new app gets
   * `preferredId` when it is free (resurrect gives saved apps their ids back), else the next id;
   * a pooled app's instances get theirs now too (`instanceIds`, when free).
   */
  async start(spec: AppSpec, preferredId?: number, instanceIds?: number[]): Promise<ProcessInfo[]> {
    const existing = findByName(this.ctx.apps.values(), spec.name);
    if (existing !== undefined) {
      if (existing.state !== 'stopped' && existing.state !== 'errored' && existing.state !== 'waiting') {
        throw new TendError('E_APP_EXISTS', `an app named \`${spec.name}\` is already running (id ${existing.id})`, {
          hint: `Pick another name with --name, or restart it: tend restart ${spec.name}`,
        });
      }
      await checkPortsFree(poolAddresses(spec));
      this.begin('start', 'run', [existing], new Map([[existing, spec]]));
      this.respec(existing, spec);
      if (runsAtCreation(spec)) return this.startHandles([existing]);
      this.ctx.changed(existing);
      return this.answer([existing]);
    }
    await checkPortsFree(poolAddresses(spec));
    const id = this.ctx.allocateId(preferredId);
    const createdAt = this.ctx.now();
    this.ctx.operation({ op: 'operation', verb: 'start', goal: 'run', ids: [id], at: createdAt, specs: { [id]: { spec, createdAt } } });
    const handle = this.ctx.create({ id, spec, createdAt });
    handle.reserveIds(instanceIds);
    handle.pending = { verb: 'start', at: createdAt };
    // A scheduled job waits for its first time (or `tend start <job>` / `tend trigger`).
    if (!runsAtCreation(spec)) {
      handle.finished();
      this.ctx.changed(handle);
      return this.answer([handle]);
    }
    return this.startHandles([handle]);
  }

  /** One app of a config file, with the verb the user typed (see applyStep): what was done to it. */
  async apply(spec: AppSpec, mode: ApplyMode, parallel = 1): Promise<ApplyResult> {
    const existing = findByName(this.ctx.apps.values(), spec.name);
    if (existing === undefined) return applied('created', await this.start(spec));
    const reloads = this.ctx.reloads();
    let action: ApplyAction =
      mode === 'reload' ? reloads.step(existing, applyStep(nowOf(existing), spec, mode), spec) : applyStep(nowOf(existing), spec, mode);
    // Nothing runs: the app only takes the file's spec (see act).
    if (action === 'unchanged' || action === 'updated') action = await this.act(existing, spec, action, parallel);
    else {
      // Recorded as what the app must go through, so the next daemon finishes that (a running
      // app of `start <file>` is restarted, not merely found running).
      const verb = action === 'restarted' ? 'restart' : action === 'reloaded' ? 'reload' : 'start';
      this.begin(verb, 'run', [existing], spec !== existing.spec ? new Map([[existing, spec]]) : undefined);
      try {
        action = await this.act(existing, spec, action, parallel);
      } finally {
        existing.finished();
      }
    }
    // A reload's restart says why it was not a reload (see AppReloads.step).
    const rows = reloads.annotate(this.rows([existing]));
    return applied(action, rows.length > 0 ? rows : [existing.info()]);
  }

  plan(specs: AppSpec[], mode: ApplyMode, pruneFile: string | null): PlanStep[] {
    return planApply(
      [...this.ctx.apps.values()].map((h) => ({ name: h.spec.name, now: nowOf(h) })),
      specs,
      mode,
      pruneFile,
    );
  }

  /**
   * Carries out an applyStep with `spec` (a reload takes it on the way; a failed one keeps the
   * old). The caller has recorded the operation (see begin).
   */
  private async act(h: ProcessHandle, spec: AppSpec, decided: ApplyStep, parallel: number): Promise<ApplyStep> {
    const step = decided === 'reloaded' ? await this.ctx.reloads().reload(h, spec, parallel) : decided;
    if (step === 'unchanged' || step === 'updated') {
      // Applied from another file now (remembered for `apply --prune`), or a scheduled job's new
      // settings (its next run uses them): the spec is taken, on disk before the answer.
      if (spec.configFile !== h.spec.configFile || !specsEqual(spec, h.spec)) {
        this.respec(h, spec);
        this.ctx.changed(h);
        await this.answer([h]);
      }
      return step;
    }
    if (step === 'started') await checkPortsFree(poolAddresses(spec));
    if (spec !== h.spec) this.respec(h, spec);
    if (step === 'started') await this.startHandles([h]);
    else if (step === 'restarted') await this.restartHandles([h]);
    else this.ctx.publishNow();
    return step;
  }

  /** The app takes a new spec (its next spawn uses it; its log files follow it). */
  respec(h: ProcessHandle, spec: AppSpec): void {
    h.spec = spec;
    this.ctx.unsaved(h.id);
    this.ctx.configureLogs(h.id, spec);
  }

  async startTarget(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'start', this.instanceDeps);
    const handles = this.ctx.find(target);
    this.begin('start', 'run', handles);
    for (const h of handles) await startIdleInstances(h);
    return this.startHandles(handles);
  }

  private async startHandles(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    const waits: Promise<void>[] = [];
    await inBatches(handles, SPAWNS_PER_TURN, (h) => {
      const unmet = this.ctx.dependencies.unmet(h.spec);
      h.dispatch(unmet === null ? { type: 'start' } : { type: 'wait', reason: unmet });
      waits.push(this.ctx.waiters.waitFor(h, (s) => s !== 'starting' && (!waitsReady(h.spec) || s !== 'waiting-ready')));
    });
    await Promise.all(waits);
    // Started, or waiting for its dependencies: nothing is left to finish.
    for (const h of handles) h.finished();
    return this.answer(handles);
  }

  async stop(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'stop', this.instanceDeps);
    const handles = this.ctx.find(target);
    this.begin('stop', 'stop', handles);
    const waits: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      h.dispatch({ type: 'stop' });
      waits.push(this.ctx.waiters.waitFor(h, (s) => s === 'stopped' || s === 'errored'));
    });
    await Promise.all(waits);
    return this.answer(handles);
  }

  /**
   * Restarts with at most BULK_SPAWNS_IN_FLIGHT apps between their stop and their new spawn; an
   * app's slot is free once it is spawned (its readiness is waited for outside the limit).
   */
  async restart(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'restart', this.instanceDeps);
    const handles = this.ctx.find(target);
    this.begin('restart', 'run', handles);
    return this.restartHandles(handles);
  }

  private async restartHandles(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    const ready: Promise<void>[] = [];
    const waiters = this.ctx.waiters;
    await forEachBounded(handles, BULK_SPAWNS_IN_FLIGHT, async (h) => {
      h.dispatch({ type: 'restart' });
      ready.push(waiters.waitFor(h, (s) => s !== 'stopping' && s !== 'starting' && (!waitsReady(h.spec) || s !== 'waiting-ready')));
      await waiters.waitFor(h, (s) => s !== 'stopping' && s !== 'starting');
    });
    await Promise.all(ready);
    // Restarted, or left waiting for its dependencies: nothing is left to finish.
    for (const h of handles) h.finished();
    return this.answer(handles);
  }

  /** An instance id deletes that one process while its app has others (see instanceVerb); else whole apps go. */
  async delete(target: Target, mustRecord = true): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    if (one !== null && hasOtherInstances(one)) return instanceVerb(one, 'delete', this.instanceDeps);
    const handles = one === null ? this.ctx.find(target) : [one.handle];
    try {
      this.begin('delete', 'remove', handles);
    } catch (err) {
      // `tend kill` goes on: its daemon exits and forgets every app anyway.
      if (mustRecord) throw err;
    }
    const infos = this.rows(handles);
    const gone: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      gone.push(this.ctx.waiters.waitFor(h, () => !this.ctx.apps.has(h.id)));
      h.dispatch({ type: 'delete' });
    });
    await Promise.all(gone);
    await this.answer([]);
    return infos.map((i) => ({ ...i, status: 'stopped' as const, pid: null, uptimeMs: 0 }));
  }

  /** PM2's `reset`: restart counters back to zero (of every instance, or of the one an instance id names); the processes are not touched. */
  async reset(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.ctx.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'reset', this.instanceDeps);
    const handles = this.ctx.find(target);
    for (const h of handles) await resetCounters(h, this.ctx.log);
    // Answered once the state and status files hold it: a \`tend list\` right after shows the zeros.
    return this.answer(handles);
  }

  signal(target: Target, signal: NodeJS.Signals): Promise<ProcessInfo[]> {
    return signalTarget({ apps: this.ctx.apps.values(), resolve: (t) => this.ctx.find(t), rows: (hs) => this.rows(hs) }, target, signal);
  }

  send(target: Target, line: string): Promise<{ bytes: number; processes: number }> {
    const one = findInstance(this.ctx.apps.values(), target);
    return sendLine(one === null ? this.ctx.find(target).map((handle) => ({ handle, instance: null })) : [one], target, line);
  }

  /** See beginOperation: recorded before it acts, finished by the next daemon if this one dies. */
  private begin(
    verb: OperationEntry['verb'],
    goal: OperationEntry['goal'],
    handles: ProcessHandle[],
    specs?: Map<ProcessHandle, AppSpec>,
  ): void {
    beginOperation((e) => this.ctx.operation(e), this.ctx.now(), verb, goal, handles, specs);
  }

  /** A command's answer goes out once a write holds it (see WriteScheduler). */
  private answer(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    return new Promise((resolve) => this.ctx.afterWrite(() => resolve(this.rows(handles))));
  }
}
