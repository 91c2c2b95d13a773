import { TendError } from '../errors.js';
import type { Health } from '../lib/health.js';
import type { ApplyMode, ApplyResult, PlanStep, Target } from '../protocol/methods.js';
import type { AppSpec } from '../protocol/app-spec.js';
import type { LogPaths } from '../protocol/logs.js';
import type { ProcessInfo } from '../protocol/process-info.js';
import { fifoPath, type TendPaths } from '../store/paths.js';
import { ptyHome, removeAppFiles } from './own-run-dir.js';
import { Persistence } from './persistence.js';
import { ProcessHandle } from './process-handle.js';
import type { AppView, LimitKind, Observed, ProcessRecord } from './handle-types.js';
import { makeToken } from './run-finder.js';
import { restoreApps } from './restore.js';
import type { OutputSink } from './stdio-pipes.js';
import { FifoPool } from './fifo-pool.js';
import { WriteScheduler } from './write-scheduler.js';
import { claimsChildren } from '../spawner/spawn-app.js';
import { AdoptedPoller, DependencyWaits, StateWaiters } from './state-waits.js';
import { LimitRestarts } from './limit-restart.js';
import { ProcScanScheduler } from './proc-scan.js';
import { findByName, resolveTarget } from './targets.js';
import { PoolHolder } from './pool-holder.js';
import { AppReloads } from './fork-reloads.js';
import { AppCommands } from './commands.js';
import type { HandoffDeps } from './handoff-reload.js';
import { findInstance, rowsOf, sampledOf, type InstanceFigures, type Sampled } from './pool-ops.js';
import { RowEvents } from './row-events.js';

export interface SupervisorDeps {
  paths: TendPaths;
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** Every state change of an app (its own record: health, cron, watch); `deleted` on its last one. */
  onState(info: ProcessInfo, deleted: boolean): void;
  /** The same change as list rows, one per instance of a pooled app (process:state events). */
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
  /** Live figures of one instance of a pooled app (its worker's tree); none when absent. */
  observeInstance?: InstanceFigures;
  /** Problems shown by ping/list (disk full, state recovered). */
  health: Health;
}

const UNOBSERVED: Observed = { cpuPercent: null, memoryBytes: null, health: null };
const UNMEASURED: InstanceFigures = () => ({ cpuPercent: null, memoryBytes: null });

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
    lastStderr: (h) => this.commands.lastStderr(h),
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
  /** What a spawn of an app needs (its handle's, and a reload's new process beside it). */
  private readonly spawning: Pick<HandoffDeps, 'makeFifos' | 'ptyHome' | 'logPaths' | 'newToken'> = {
    makeFifos: (paths) => this.fifos.provide(paths),
    ptyHome: (id, runAs) => ptyHome(this.deps.paths, id, runAs),
    logPaths: (p) => this.deps.logs.pathsOf(p.id),
    newToken: (p) => makeToken(this.deps.paths.homeTag, p.id, this.deps.now()),
  };
  private readonly commands: AppCommands = new AppCommands({
    apps: this.apps,
    waiters: this.waiters,
    dependencies: this.dependencies,
    reloads: () => this.reloads,
    figures: (id, pid) => this.figures(id, pid),
    now: () => this.deps.now(),
    log: (e, d) => this.deps.log(e, d),
    configureLogs: (id, spec) => this.deps.logs.configure(id, spec),
    lastStderrLines: (id, spec, count) => this.deps.lastStderrLines?.(id, spec, count) ?? Promise.resolve([]),
    find: (target) => this.find(target),
    allocateId: (preferred) => this.allocateId(preferred),
    create: (record) => this.create(record),
    changed: (h) => this.changed(h),
    unsaved: (id) => this.unsavedSpecs.add(id),
    operation: (e) => this.store.operation(e),
    publishNow: () => {
      if (!this.closed) this.writes.writeNow();
    },
    afterWrite: (fn) => this.writes.afterWrite(fn),
  });
  readonly reloads = new AppReloads(
    this.spawning,
    (h) => this.commands.lastStderr(h),
    (h, spec) => this.commands.respec(h, spec),
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
    this.writes = new WriteScheduler(
      { state: () => this.store.writeState(), status: () => this.store.publishStatus() },
      deps.now,
      undefined,
      () => claimsChildren().launching,
    );
  }

  /** Takes over what a previous daemon left (see restoreApps), then writes it down. */
  restore(followExits: () => void = () => undefined): { adopted: number; restarted: number; stopped: number } {
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
      reload: (h) => this.reloads.reload(h, h.spec, 1),
    });
    // Read by the restore; its space is taken now if it was not yet.
    this.store.reserve();
    // Everything restored is in memory: write it down before serving anyone.
    this.store.writeState();
    this.store.publishStatus();
    this.dependencies.collect(this.apps.values());
    // Once the daemon follows exits (`followExits` wires its observer), the apps that died while
    // no daemon ran exit.
    followExits();
    for (const h of this.apps.values()) h.settleRestore();
    return done;
  }

  private create(record: Pick<ProcessRecord, 'id' | 'spec' | 'createdAt'>): ProcessHandle {
    const id = record.id;
    const pipes = {
      in: fifoPath(this.deps.paths, id, 'in'),
      out: fifoPath(this.deps.paths, id, 'out'),
      err: fifoPath(this.deps.paths, id, 'err'),
      spoolDir: this.deps.paths.spoolDir,
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
      makePool: (p, saved, changed) =>
        new PoolHolder(
          p.id,
          this.deps.paths,
          { allocateId: (preferred) => this.allocateId(preferred), log: this.deps.log, changed },
          saved,
        ),
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
    for (const h of this.apps.values()) if (h.pool !== null && h.pool.instanceOf(id) !== undefined) return h;
    return undefined;
  }

  /** Pooled apps: the ids of their instances, in id order of the apps (what `tend save` keeps with the specs). */
  instanceIdsOf(id: number): number[] | undefined {
    return this.apps.get(id)?.pool?.ids();
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

  /** What the sampler needs of each app (cheaper than list()); a pooled app's workers with their instance ids. */
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
   * every row of it, a pooled app one per instance (describe, logs and metrics show instances).
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

  /** `tend reload`: see AppCommands.reload. */
  reload(target: Target, opts: { parallel?: number; verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    return this.commands.reload(target, opts);
  }

  /** A watch's reload of the app of this id, whole (a numeric target would name one instance). */
  reloadApp(id: number, opts: { verb?: 'reload' | 'watch' } = {}): Promise<ProcessInfo[]> {
    return this.commands.reloadApp(id, opts);
  }

  scale(target: Target, instances: number, relative: boolean): Promise<ProcessInfo[]> {
    return this.commands.scale(target, instances, relative);
  }

  /** One app's list rows (one per instance for a pooled app). */
  rowsOfApp(h: AppView): ProcessInfo[] {
    return rowsOf(h, this.deps.now(), this.figures);
  }

  start(spec: AppSpec, preferredId?: number, instanceIds?: number[]): Promise<ProcessInfo[]> {
    return this.commands.start(spec, preferredId, instanceIds);
  }

  apply(spec: AppSpec, mode: ApplyMode, parallel = 1): Promise<ApplyResult> {
    return this.commands.apply(spec, mode, parallel);
  }

  plan(specs: AppSpec[], mode: ApplyMode, pruneFile: string | null): PlanStep[] {
    return this.commands.plan(specs, mode, pruneFile);
  }

  startTarget(target: Target): Promise<ProcessInfo[]> {
    return this.commands.startTarget(target);
  }

  stop(target: Target): Promise<ProcessInfo[]> {
    return this.commands.stop(target);
  }

  restart(target: Target): Promise<ProcessInfo[]> {
    return this.commands.restart(target);
  }

  delete(target: Target, mustRecord = true): Promise<ProcessInfo[]> {
    return this.commands.delete(target, mustRecord);
  }

  reset(target: Target): Promise<ProcessInfo[]> {
    return this.commands.reset(target);
  }

  signal(target: Target, signal: NodeJS.Signals): Promise<ProcessInfo[]> {
    return this.commands.signal(target, signal);
  }

  send(target: Target, line: string): Promise<{ bytes: number; processes: number }> {
    return this.commands.send(target, line);
  }

  /** A restart tend decides on its own (memory limit, cron, failed health checks): see LimitRestarts. */
  autoRestart(id: number, kind: LimitKind, reason: string): boolean {
    return this.limitRestarts.restart(this.apps.get(id), kind, reason);
  }

  /** An instance (by its id) of a pooled app over a limit: its worker alone is replaced (see LimitRestarts). */
  autoRestartInstance(id: number, kind: LimitKind, reason: string): boolean {
    const one = findInstance(this.apps.values(), id);
    return one !== null && this.limitRestarts.restartInstance(one, id, kind, reason);
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
    this.rowEvents.changed(handle.id, handle.pool === null ? [info] : this.rowsOfApp(handle), deleted);
    this.dependencies.changed(handle, deleted);
  }

  private removed(handle: ProcessHandle): void {
    this.apps.delete(handle.id);
    handle.detach();
    removeAppFiles(this.deps.paths, handle);
    this.deps.logs.remove(handle.id);
    this.changed(handle, true);
  }

  private persist(): void {
    if (!this.closed) this.writes.changed();
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
