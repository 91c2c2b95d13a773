import { TendError } from '../errors.js';
import type { Health } from '../lib/health.js';
import type { ApplyAction, ApplyMode, PlanStep, Target } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { LogPaths } from '../protocol/logs.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import { fifoPath, type TendPaths } from '../store/paths.js';
import { ptyHome, removeAppFiles } from './own-run-dir.js';
import { Persistence } from './persistence.js';
import { ProcessHandle } from './process-handle.js';
import type { AppView, LimitKind, Observed, OperationEntry, ProcessRecord } from './handle-types.js';
import { beginOperation } from './operations.js';
import { makeToken } from './run-finder.js';
import { restoreApps } from './restore.js';
import type { OutputSink } from './stdio-pipes.js';
import { FifoPool } from './fifo-pool.js';
import { WriteScheduler } from './write-scheduler.js';
import { AdoptedPoller, DependencyWaits, StateWaiters } from './state-waits.js';
import { LimitRestarts } from './limit-restart.js';
import { sendLine, signalTarget } from './app-signals.js';
import { ProcScanScheduler } from './proc-scan.js';
import { forEachBounded, inBatches } from '../lib/bounded.js';
import { findByName, resolveTarget } from './targets.js';
import { HeldApp, heldAddresses, isHeld } from './held-app.js';
import { applyStep, type ApplyStep } from './apply-step.js';
import { checkPortsFree } from '../lib/listen-address.js';
import { AppReloads } from './fork-reloads.js';
import type { HandoffDeps } from './handoff-reload.js';
import { findInstance, rowsOf, sampledOf, scaleHeld, type InstanceFigures, type Sampled } from './held-ops.js';
import { RowEvents } from './row-events.js';
import { hasOtherInstances, instanceVerb, resetCounters, startIdleInstances, type InstanceDeps } from './instance-ops.js';
import { planApply } from './apply-plan.js';
import { specsEqual } from '../config/specs-equal.js';
import { isScheduled } from '../config/schedule.js';

export interface SupervisorDeps {
  paths: TendPaths;
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** Every state change of an app (its own record: health, cron, watch); `deleted` on its last one. */
  onState(info: ProcessInfo, deleted: boolean): void;
  /** The same change as list rows, one per instance of a held app (process:state events). */
  onRow?(info: ProcessInfo, deleted: boolean): void;
  /** Builds the sink that receives an app's output and (re)configures its log files. */
  logs: {
    sinkFor(id: number): OutputSink;
    configure(id: number, spec: AppSpec): void;
    remove(id: number): void;
    pathsOf(id: number): LogPaths;
  };
  /** How often adopted processes (not our children) are checked through /proc. */
  adoptedPollMs?: number;
  /** The app's last stderr lines (a failed reload quotes them). */
  lastStderrLines?(id: number, spec: AppSpec, count: number): Promise<string[]>;
  /** Live figures of a run (CPU, memory, health); none when absent. */
  observe?(id: number, pid: number | null): Observed;
  /** Live figures of one instance of a held app (its worker's tree); none when absent. */
  observeInstance?: InstanceFigures;
  /** Problems shown by ping/list (disk full, state recovered). */
  health: Health;
}

/** A start answers once the app is ready: wait_ready apps, and held apps (all instances ready). */
const waitsReady = (spec: AppSpec): boolean => spec.waitReady || isHeld(spec);
const runsAtCreation = (spec: AppSpec): boolean => !isScheduled(spec) || spec.runAtStart === true;
const nowOf = (h: ProcessHandle) => ({ state: h.state, spec: h.spec, holderRunning: h.held?.running === true });
const UNOBSERVED: Observed = { cpuPercent: null, memoryBytes: null, health: null };
const UNMEASURED: InstanceFigures = () => ({ cpuPercent: null, memoryBytes: null });

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

/** The registry of apps: start/stop/restart/delete orchestration and the persisted state. */
export class Supervisor {
  private apps = new Map<number, ProcessHandle>();
  private nextId = 0;
  private readonly waiters = new StateWaiters();
  private readonly dependencies = new DependencyWaits((name) => findByName(this.apps.values(), name));
  private readonly scans: ProcScanScheduler;
  private readonly adopted: AdoptedPoller;
  private readonly limitRestarts = new LimitRestarts({
    now: () => this.deps.now(),
    log: (e, d) => this.deps.log(e, d),
    lastStderr: (h) => this.lastStderr(h),
    persist: () => this.persist(),
  });
  private closed = false;
  private readonly fifos: FifoPool;
  private readonly store: Persistence;
  private readonly writes: WriteScheduler;
  /** Apps whose current spec is not in state.json yet: their spawn intents carry the spec. */
  private unsavedSpecs = new Set<number>();
  private readonly rowEvents: RowEvents;
  private readonly figures: InstanceFigures;
  private readonly instanceDeps: InstanceDeps = {
    rows: (h) => this.rowsOfApp(h),
    startApp: (h) => this.startHandles([h]),
    begin: (h, spec) => this.begin('scale', 'run', [h], new Map([[h, spec]])),
    changed: (h) => this.changed(h),
    written: () => this.answer([]).then(() => undefined),
  };
  /** What a spawn of an app needs (its handle's, and a reload's new process beside it). */
  private readonly spawning: Pick<HandoffDeps, 'makeFifos' | 'ptyHome' | 'logPaths' | 'newToken'> = {
    makeFifos: (paths) => this.fifos.provide(paths),
    ptyHome: (id, runAs) => ptyHome(this.deps.paths, id, runAs),
    logPaths: (p) => this.deps.logs.pathsOf(p.id),
    newToken: (p) => makeToken(this.deps.paths.homeTag, p.id, this.deps.now()),
  };
  readonly reloads = new AppReloads(
    this.spawning,
    (h) => this.lastStderr(h),
    (h, spec) => this.respec(h, spec),
    (e, d) => this.deps.log(e, d),
  );

  constructor(private readonly deps: SupervisorDeps) {
    this.fifos = new FifoPool(deps.paths.pipeDir, deps.log);
    this.adopted = new AdoptedPoller(deps.adoptedPollMs ?? 200);
    this.scans = new ProcScanScheduler(
      () => this.leaderPids(),
      (err) => deps.log('scan-callback-failed', { error: (err as Error).message, stack: (err as Error).stack }),
    );
    this.store = new Persistence(
      deps.paths,
      deps.health,
      () => ({ nextId: this.nextId, records: [...this.apps.values()].map((h) => h.toRecordJson()) }),
      () => this.listRows(),
      deps.now,
      () => this.unsavedSpecs.clear(),
    );
    this.rowEvents = new RowEvents((info, deleted) => deps.onRow?.(info, deleted));
    this.figures = deps.observeInstance ?? UNMEASURED;
    this.writes = new WriteScheduler({ state: () => this.store.writeState(), status: () => this.store.publishStatus() }, deps.now);
  }

  /** Takes over what a previous daemon left (see restoreApps), then writes it down. */
  restore(): { adopted: number; restarted: number; stopped: number } {
    this.fifos.start();
    const done = restoreApps({
      paths: this.deps.paths,
      health: this.deps.health,
      now: this.deps.now,
      log: this.deps.log,
      create: (r) => this.create(r),
      setNextId: (id) => {
        this.nextId = id;
      },
    });
    // Read by the restore; its space is taken now if it was not yet.
    this.store.reserve();
    // Everything restored is in memory: write it down before serving anyone.
    this.store.writeState();
    this.store.publishStatus();
    this.dependencies.collect(this.apps.values());
    return done;
  }

  private create(record: Pick<ProcessRecord, 'id' | 'spec' | 'createdAt'>): ProcessHandle {
    const id = record.id;
    const pipes = {
      in: fifoPath(this.deps.paths, id, 'in'),
      out: fifoPath(this.deps.paths, id, 'out'),
      err: fifoPath(this.deps.paths, id, 'err'),
    };
    const sink = this.deps.logs.sinkFor(id);
    this.deps.logs.configure(id, record.spec);
    const handle = new ProcessHandle(record, pipes, sink, {
      now: this.deps.now,
      log: this.deps.log,
      changed: (p) => this.changed(p),
      removed: (p) => this.removed(p),
      watchAdopted: (p, on) => this.adopted.watch(p, on),
      ...this.spawning,
      afterScan: (fn) => this.scans.afterScan(fn),
      makeHeld: (p, saved, changed) =>
        new HeldApp(p.id, this.deps.paths, { allocateId: (preferred) => this.allocateId(preferred), log: this.deps.log, changed }, saved),
      observe: (i, pid) => this.deps.observe?.(i, pid) ?? UNOBSERVED,
      intent: (p, entry) => {
        const withSpec = entry.op === 'spawn' && this.unsavedSpecs.has(p.id) ? { ...entry, spec: p.spec, createdAt: p.createdAt } : entry;
        this.store.intent({ ...withSpec, id: p.id });
      },
    });
    this.apps.set(id, handle);
    this.unsavedSpecs.add(id);
    return handle;
  }

  /** `preferred` when no app or instance has it, else the next id. */
  private allocateId(preferred?: number): number {
    if (preferred !== undefined && Number.isInteger(preferred) && preferred >= 0 && this.rowOwner(preferred) === undefined) {
      this.nextId = Math.max(this.nextId, preferred + 1);
      return preferred;
    }
    while (this.rowOwner(this.nextId) !== undefined) this.nextId++;
    return this.nextId++;
  }

  /** The app that has this id, as its own or as one of its instances'. */
  rowOwner(id: number): ProcessHandle | undefined {
    const own = this.apps.get(id);
    if (own !== undefined) return own;
    for (const h of this.apps.values()) if (h.held !== null && h.held.instanceOf(id) !== undefined) return h;
    return undefined;
  }

  /** Held apps: the ids of their instances, in id order of the apps (what `tend save` keeps with the specs). */
  instanceIdsOf(id: number): number[] | undefined {
    return this.apps.get(id)?.held?.ids();
  }

  /** The desired set: every app's spec, in id order (what `tend save` writes). */
  specs(): AppSpec[] {
    return [...this.apps.values()].sort((a, b) => a.id - b.id).map((h) => h.spec);
  }

  /** One entry per app (internal users: ids, names, states); `listRows()` is what `tend list` shows. */
  list(): ProcessInfo[] {
    return [...this.apps.values()].sort((a, b) => a.id - b.id).map((h) => h.info());
  }

  /** What `tend list` shows: one row per app, and one per instance of a cluster / socket-activated app. */
  listRows(): ProcessInfo[] {
    const now = this.deps.now();
    return [...this.apps.values()].sort((a, b) => a.id - b.id).flatMap((h) => rowsOf(h, now, this.figures));
  }

  /** What the sampler needs of each app (cheaper than list()); a held app's workers with their instance ids. */
  sampled(): Sampled[] {
    const out: Sampled[] = [];
    for (const h of this.apps.values()) out.push(sampledOf(h));
    return out;
  }

  /** Apps by name, id, namespace or `all`, read-only. An instance id (of a cluster app) is refused here. */
  resolve(target: Target): AppView[] {
    return this.find(target);
  }

  private find(target: Target): ProcessHandle[] {
    const one = findInstance(this.apps.values(), target);
    if (one !== null) {
      throw new TendError(
        'E_USAGE',
        `\`${String(target)}\` is instance ${one.instance} of ${one.handle.spec.name}: this command acts on whole apps`,
        {
          hint: `Name the app instead (\`tend scale ${one.handle.spec.name} N\` changes how many run); start, stop, restart, reload, delete, reset, signal, send, describe, logs and flush take an instance id.`,
        },
      );
    }
    return resolveTarget(this.apps.values(), target);
  }

  /**
   * The list rows a target names: an instance id its one row, an app (name, id, namespace, `all`)
   * every row of it, a held app one per instance (describe, logs and metrics show instances).
   */
  resolveRows(target: Target): Array<{ handle: AppView; row: ProcessInfo }> {
    const one = findInstance(this.apps.values(), target);
    const handles = one === null ? this.find(target) : [one.handle];
    const now = this.deps.now();
    return handles.flatMap((handle) =>
      rowsOf(handle, now, this.figures)
        .filter((row) => one === null || row.instance === one.instance)
        .map((row) => ({ handle, row })),
    );
  }

  /**
   * Zero-downtime reload (`tend reload`): held apps replace their processes `parallel` at a time
   * (see the holder's WorkerPool); other apps restart; stopped ones start (see applyStep).
   * Sequential over apps, so a failure stops before the next app is touched.
   */
  async reload(target: Target, opts: { parallel?: number; verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    return one !== null ? instanceVerb(one, 'restart', this.instanceDeps) : this.reloadHandles(this.find(target), opts);
  }

  /** A watch's reload of the app of this id, whole (a numeric target would name one instance). */
  reloadApp(id: number, opts: { verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    const h = this.apps.get(id);
    return h === undefined ? Promise.resolve([]) : this.reloadHandles([h], opts);
  }

  private async reloadHandles(handles: ProcessHandle[], opts: { parallel?: number; verb?: 'reload' | 'watch' }): Promise<ProcessInfo[]> {
    // Every app of the reload is recorded before the first is touched: a daemon killed half-way
    // leaves the rest to the next one.
    this.begin(opts.verb ?? 'reload', 'run', handles);
    try {
      for (const h of handles) await this.act(h, h.spec, this.reloads.step(h, applyStep(nowOf(h), h.spec, 'reload')), opts.parallel ?? 1);
    } finally {
      // A failed reload is an answered one: nothing is left to finish.
      for (const h of handles) h.finished();
    }
    this.publishNow();
    return this.reloads.annotate(this.rowsOfHandles(handles));
  }

  /** `tend scale`: the instance count of a cluster / socket-activated app, live. */
  async scale(target: Target, instances: number, relative: boolean): Promise<ProcessInfo[]> {
    const handles = this.find(target);
    try {
      await scaleHeld(handles, instances, relative, (specs) => this.begin('scale', 'run', handles, specs));
    } finally {
      for (const h of handles) h.finished();
    }
    this.publishNow();
    return this.rowsOfHandles(handles);
  }

  /** State and status written before a command gets its answer (a `tend list` right after sees it). */
  private publishNow(): void {
    if (!this.closed) this.writes.writeNow();
  }

  /** One app's list rows (one per instance for a held app). */
  rowsOfApp(h: AppView): ProcessInfo[] {
    return rowsOf(h, this.deps.now(), this.figures);
  }

  private rowsOfHandles(handles: ProcessHandle[]): ProcessInfo[] {
    const now = this.deps.now();
    return handles.flatMap((h) => rowsOf(h, now, this.figures));
  }

  private async lastStderr(h: ProcessHandle): Promise<string[]> {
    return this.deps.lastStderrLines?.(h.id, h.spec, 10) ?? [];
  }

  /**
   * Starts a new app, or an existing stopped one of that name with the new spec. A new app gets
   * `preferredId` when it is free (resurrect gives saved apps their ids back), else the next id;
   * a held app's instances get theirs now too (`instanceIds`, when free).
   */
  async start(spec: AppSpec, preferredId?: number, instanceIds?: number[]): Promise<ProcessInfo[]> {
    const existing = findByName(this.apps.values(), spec.name);
    if (existing !== undefined) {
      if (existing.state !== 'stopped' && existing.state !== 'errored' && existing.state !== 'waiting') {
        throw new TendError('E_APP_EXISTS', `an app named \`${spec.name}\` is already running (id ${existing.id})`, {
          hint: `Pick another name with --name, or restart it: tend restart ${spec.name}`,
        });
      }
      await checkPortsFree(heldAddresses(spec));
      this.begin('start', 'run', [existing], new Map([[existing, spec]]));
      this.respec(existing, spec);
      if (runsAtCreation(spec)) return this.startHandles([existing]);
      this.changed(existing);
      return this.answer([existing]);
    }
    await checkPortsFree(heldAddresses(spec));
    const id = this.allocateId(preferredId);
    const createdAt = this.deps.now();
    this.store.operation({ op: 'operation', verb: 'start', goal: 'run', ids: [id], at: createdAt, specs: { [id]: { spec, createdAt } } });
    const handle = this.create({ id, spec, createdAt });
    handle.reserveIds(instanceIds);
    handle.pending = { verb: 'start', at: createdAt };
    // A scheduled job waits for its first time (or `tend start <job>` / `tend trigger`).
    if (!runsAtCreation(spec)) {
      handle.finished();
      this.changed(handle);
      return this.answer([handle]);
    }
    return this.startHandles([handle]);
  }

  /** One app of a config file, with the verb the user typed (see applyStep): what was done to it. */
  async apply(spec: AppSpec, mode: ApplyMode, parallel = 1): Promise<{ action: ApplyAction; process: ProcessInfo }> {
    const existing = findByName(this.apps.values(), spec.name);
    if (existing === undefined) return { action: 'created', process: (await this.start(spec))[0] as ProcessInfo };
    let action: ApplyAction = applyStep(nowOf(existing), spec, mode);
    if (action !== 'unchanged') {
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
    return { action, process: this.rowsOfApp(existing)[0] ?? existing.info() };
  }

  plan(specs: AppSpec[], mode: ApplyMode, pruneFile: string | null): PlanStep[] {
    return planApply(
      [...this.apps.values()].map((h) => ({ name: h.spec.name, now: nowOf(h) })),
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
    const step = decided === 'reloaded' ? await this.reloads.reload(h, spec, parallel) : decided;
    // Unchanged, but applied from another file now: remember it (for `apply --prune`).
    if (step === 'unchanged' && (spec.configFile !== h.spec.configFile || !specsEqual(spec, h.spec))) {
      this.respec(h, spec);
      this.changed(h);
    }
    if (step === 'unchanged') return step;
    if (step === 'started') await checkPortsFree(heldAddresses(spec));
    if (spec !== h.spec) this.respec(h, spec);
    if (step === 'started') await this.startHandles([h]);
    else if (step === 'restarted') await this.restartHandles([h]);
    else this.publishNow();
    return step;
  }

  /** The app takes a new spec (its next spawn uses it; its log files follow it). */
  private respec(h: ProcessHandle, spec: AppSpec): void {
    h.spec = spec;
    this.unsavedSpecs.add(h.id);
    this.deps.logs.configure(h.id, spec);
  }

  async startTarget(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'start', this.instanceDeps);
    const handles = this.find(target);
    this.begin('start', 'run', handles);
    for (const h of handles) await startIdleInstances(h);
    return this.startHandles(handles);
  }

  private async startHandles(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    const waits: Promise<void>[] = [];
    await inBatches(handles, SPAWNS_PER_TURN, (h) => {
      const unmet = this.dependencies.unmet(h.spec);
      h.dispatch(unmet === null ? { type: 'start' } : { type: 'wait', reason: unmet });
      waits.push(this.waiters.waitFor(h, (s) => s !== 'starting' && (!waitsReady(h.spec) || s !== 'waiting-ready')));
    });
    await Promise.all(waits);
    // Started, or waiting for its dependencies: nothing is left to finish.
    for (const h of handles) h.finished();
    return this.answer(handles);
  }

  async stop(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'stop', this.instanceDeps);
    const handles = this.find(target);
    this.begin('stop', 'stop', handles);
    const waits: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      h.dispatch({ type: 'stop' });
      waits.push(this.waiters.waitFor(h, (s) => s === 'stopped' || s === 'errored'));
    });
    await Promise.all(waits);
    return this.answer(handles);
  }

  /**
   * Restarts with at most BULK_SPAWNS_IN_FLIGHT apps between their stop and their new spawn; an
   * app's slot is free once it is spawned (its readiness is waited for outside the limit).
   */
  async restart(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'restart', this.instanceDeps);
    const handles = this.find(target);
    this.begin('restart', 'run', handles);
    return this.restartHandles(handles);
  }

  private async restartHandles(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    const ready: Promise<void>[] = [];
    await forEachBounded(handles, BULK_SPAWNS_IN_FLIGHT, async (h) => {
      h.dispatch({ type: 'restart' });
      ready.push(this.waiters.waitFor(h, (s) => s !== 'stopping' && s !== 'starting' && (!waitsReady(h.spec) || s !== 'waiting-ready')));
      await this.waiters.waitFor(h, (s) => s !== 'stopping' && s !== 'starting');
    });
    await Promise.all(ready);
    // Restarted, or left waiting for its dependencies: nothing is left to finish.
    for (const h of handles) h.finished();
    return this.answer(handles);
  }

  /** An instance id deletes that one process while its app has others (see instanceVerb); else whole apps go. */
  async delete(target: Target, mustRecord = true): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    if (one !== null && hasOtherInstances(one)) return instanceVerb(one, 'delete', this.instanceDeps);
    const handles = one === null ? this.find(target) : [one.handle];
    try {
      this.begin('delete', 'remove', handles);
    } catch (err) {
      // `tend kill` goes on: its daemon exits and forgets every app anyway.
      if (mustRecord) throw err;
    }
    const infos = this.rowsOfHandles(handles);
    const gone: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      gone.push(this.waiters.waitFor(h, () => !this.apps.has(h.id)));
      h.dispatch({ type: 'delete' });
    });
    await Promise.all(gone);
    await this.answer([]);
    return infos.map((i) => ({ ...i, status: 'stopped' as const, pid: null, uptimeMs: 0 }));
  }

  /** PM2's `reset`: restart counters back to zero (of every instance, or of the one an instance id names); the processes are not touched. */
  async reset(target: Target): Promise<ProcessInfo[]> {
    const one = findInstance(this.apps.values(), target);
    if (one !== null) return instanceVerb(one, 'reset', this.instanceDeps);
    const handles = this.find(target);
    for (const h of handles) await resetCounters(h, this.deps.log);
    return this.rowsOfHandles(handles);
  }

  signal(target: Target, signal: NodeJS.Signals): Promise<ProcessInfo[]> {
    return signalTarget({ apps: this.apps.values(), resolve: (t) => this.find(t), rows: (hs) => this.rowsOfHandles(hs) }, target, signal);
  }

  send(target: Target, line: string): Promise<{ bytes: number; processes: number }> {
    const one = findInstance(this.apps.values(), target);
    return sendLine(one === null ? this.find(target).map((handle) => ({ handle, instance: null })) : [one], target, line);
  }

  /** A restart tend decides on its own (memory limit, cron, failed health checks): see LimitRestarts. */
  autoRestart(id: number, kind: LimitKind, reason: string): boolean {
    return this.limitRestarts.restart(this.apps.get(id), kind, reason);
  }

  /** Readiness from outside the app (a passing health check with wait_ready). */
  markReady(id: number): void {
    const h = this.apps.get(id);
    if (h !== undefined && h.state === 'waiting-ready') h.dispatch({ type: 'ready' });
  }

  /** Something observed from outside changed (health): publish it like a state change, release dependants. */
  observedChanged(id: number): void {
    const h = this.apps.get(id);
    if (h !== undefined) this.changed(h);
  }

  /** One app, read-only: other rooms read it, and change it only through the methods above. */
  handle(id: number): AppView | undefined {
    return this.apps.get(id);
  }

  private changed(handle: ProcessHandle, deleted = false): void {
    this.waiters.changed(handle);
    this.persist();
    const info = handle.info();
    this.deps.onState(info, deleted);
    this.rowEvents.changed(handle.id, handle.held === null ? [info] : this.rowsOfApp(handle), deleted);
    this.dependencies.changed(handle, deleted);
  }

  private removed(handle: ProcessHandle): void {
    this.apps.delete(handle.id);
    handle.detach();
    removeAppFiles(this.deps.paths, handle);
    this.reloads.forget(handle.id);
    this.deps.logs.remove(handle.id);
    this.changed(handle, true);
  }

  /** See beginOperation: recorded before it acts, finished by the next daemon if this one dies. */
  private begin(
    verb: OperationEntry['verb'],
    goal: OperationEntry['goal'],
    handles: ProcessHandle[],
    specs?: Map<ProcessHandle, AppSpec>,
  ): void {
    beginOperation((e) => this.store.operation(e), this.deps.now(), verb, goal, handles, specs);
  }

  private persist(): void {
    if (!this.closed) this.writes.changed();
  }

  /** A command's answer goes out once a write holds it (see WriteScheduler). */
  private answer(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    return new Promise((resolve) => this.writes.afterWrite(() => resolve(this.rowsOfHandles(handles))));
  }

  /**
   * The process list as a small file (no specs), s6-svstat style: `tend list` reads it instead
   * of opening the control socket, once it has checked that this daemon is alive.
   */
  publishStatus(): void {
    if (!this.closed) this.store.publishStatus();
  }

  /** Stops every app (tend kill) and forgets them; with none left, ids start again at 0 (as after `pm2 kill`). */
  async stopAll(): Promise<number> {
    const n = this.apps.size;
    if (n > 0) await this.delete('all', false);
    if (this.apps.size === 0) this.nextId = 0;
    return n;
  }

  /** Daemon shutdown: write the state, leave every process running for the next daemon. */
  detachAll(): void {
    if (this.closed) return;
    this.store.writeState();
    this.store.publishStatus();
    this.closed = true;
    this.writes.close();
    this.scans.close();
    this.store.close();
    this.fifos.close();
    this.adopted.close();
    for (const h of this.apps.values()) h.detach();
  }

  /** Pids of the apps' leaders (their sessions are theirs: see ProcScan.withToken). */
  private leaderPids(): Set<number> {
    const pids = new Set<number>();
    for (const h of this.apps.values()) if (h.pid !== null) pids.add(h.pid);
    return pids;
  }

  /** Whether an app of this id exists (not yet deleted). */
  has(id: number): boolean {
    return this.apps.has(id);
  }

  get size(): number {
    return this.apps.size;
  }
}
