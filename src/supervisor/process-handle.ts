import { closeSync } from 'node:fs';
import type { AppSpec } from '../protocol/app-spec.js';
import type { ExitRecord, ProcessInfo, ReloadReport } from '../protocol/process-info.js';
import { readStat } from '../procfs/procfs.js';
import { TreeDrain, type LeaderExit } from './tree-drain.js';
import type { ProcScan } from './proc-scan.js';
import { INITIAL, isRunning, transition, type Deadline, type Effect, type ProcessEvent, type Snapshot } from './process-machine.js';
import { StdioPipes, type OutputSink, type PipePaths } from './stdio-pipes.js';
import { PoolHolder, isPooled, type PoolSaved } from './pool-holder.js';
import { faultPoint } from './fault-points.js';
import type { HandleDeps, LimitKind, LimitRestarts, PendingOp, ProcessRecord } from './handle-types.js';
import { launchApp, type AppChild } from '../spawner/spawn-app.js';
import { launchRequest, prepareLaunch } from './launch-request.js';
import { infoOf, recordOf } from './handle-view.js';

/**
 * One app: executes the effects the pure machine returns. The only code that touches a
 * child process, a signal or a timer for an app.
 */
export class ProcessHandle {
  readonly id: number;
  private currentSpec: AppSpec;
  /** The spec serialized once per change: the state file is rewritten on every event. */
  private specJson: string | null = null;
  /** A record whose process died while no daemon ran: its exit waits for settleRestore. */
  private diedAway: { scan: ProcScan | undefined } | null = null;
  // Written here only (the machine's snapshot only by its transitions); others read the getters.
  private _snapshot: Snapshot = INITIAL;
  private _createdAt: number;
  private _restarts = 0;
  private _pid: number | null = null;
  private _startTicks: string | null = null;
  private _startedAt: number | null = null;
  private _lastExit: ExitRecord | null = null;
  private _adopted = false;
  private _token: string | null = null;
  private _limits: LimitRestarts = { counts: { memory: 0, cron: 0, health: 0 }, last: null };
  private _lastReload: ReloadReport | null = null;
  readonly pipes: StdioPipes;
  private child: AppChild | null = null;
  /** Set while a spawn is under way (see spawn); a stop signal sent meanwhile waits in pendingSignal. */
  private launch: object | null = null;
  private pendingSignal: NodeJS.Signals | null = null;
  private timers = new Map<Deadline, NodeJS.Timeout>();
  /** When the backoff deadline fires (epoch ms): the next restart of an app in `waiting-restart`. */
  private backoffAt: number | null = null;
  private readonly tree: TreeDrain;
  /** Set while the app runs under a holder (cluster mode, socket activation). */
  private _pool: PoolHolder | null = null;
  /** An operation asked for and not yet carried out (persisted: see PendingOp); set by the supervisor's operations. */
  pending: PendingOp | null = null;

  constructor(
    record: Pick<ProcessRecord, 'id' | 'spec' | 'createdAt'>,
    pipePaths: PipePaths,
    sink: OutputSink,
    private readonly deps: HandleDeps<ProcessHandle>,
  ) {
    this.id = record.id;
    this.currentSpec = record.spec;
    this._createdAt = record.createdAt;
    this.pipes = new StdioPipes(
      pipePaths,
      sink,
      () => this.onStreamEnd(),
      (stream, err) => this.deps.log('pipe-attach-failed', { id: this.id, stream, error: err.message }),
    );
    this.tree = new TreeDrain(this, {
      afterScan: (fn) => this.deps.afterScan(fn),
      log: this.deps.log,
      done: (exit) => this.finishExit(exit),
    });
  }

  get spec(): AppSpec {
    return this.currentSpec;
  }

  set spec(spec: AppSpec) {
    this.currentSpec = spec;
    this.specJson = null;
  }

  get state(): Snapshot['state'] {
    return this._snapshot.state;
  }

  get snapshot(): Readonly<Snapshot> {
    return this._snapshot;
  }
  get createdAt(): number {
    return this._createdAt;
  }
  get restarts(): number {
    return this._restarts;
  }
  get pid(): number | null {
    return this._pid;
  }
  get startTicks(): string | null {
    return this._startTicks;
  }
  get startedAt(): number | null {
    return this._startedAt;
  }
  get lastExit(): ExitRecord | null {
    return this._lastExit;
  }
  get adopted(): boolean {
    return this._adopted;
  }
  get token(): string | null {
    return this._token;
  }
  get limits(): Readonly<LimitRestarts> {
    return this._limits;
  }
  get lastReload(): ReloadReport | null {
    return this._lastReload;
  }
  get nextRestartAt(): number | null {
    return this.state === 'backoff' ? this.backoffAt : null;
  }
  get pool(): PoolHolder | null {
    return this._pool;
  }

  dispatch(event: ProcessEvent): void {
    // A stop is recorded before it is acted on, so a daemon killed mid-stop does not restart the app.
    if ((event.type === 'stop' || event.type === 'delete') && (this.pid !== null || event.type === 'delete')) {
      this.deps.intent(this, { op: 'stop', remove: event.type === 'delete' });
      faultPoint('after-stop-intent');
    }
    // A stop or delete replaces whatever operation was under way.
    if (event.type === 'stop' || event.type === 'delete') this.pending = null;
    if (this.step(event)) this.deps.changed(this);
  }

  /** Feeds the machine one event and runs its effects; true when anything happened. */
  private step(event: ProcessEvent): boolean {
    const before = this._snapshot.state;
    const t = transition(this._snapshot, event, this.machineSpec());
    this._snapshot = t.next;
    for (const effect of t.effects) this.run(effect);
    return t.effects.length > 0 || before !== this._snapshot.state;
  }

  /**
   * A holder is launching until it reports every instance ready (or timed out), so `start`
   * answers with instances that serve; its own deadline covers the holder's start-up on top.
   */
  private machineSpec(): AppSpec {
    if (!isPooled(this.spec)) return this.spec;
    return { ...this.spec, waitReady: true, listenTimeoutMs: this.spec.listenTimeoutMs + 10_000 };
  }

  /** A new app: a pooled app's instance ids are given now, before its holder runs (`preferred`: resurrect's). */
  reserveIds(preferred?: number[]): void {
    this.syncPool({}, preferred);
  }

  /** Creates or drops the holder view to match the spec (a spec change can switch modes). */
  private syncPool(saved: PoolSaved = {}, preferredIds?: number[]): PoolHolder | null {
    if (isPooled(this.spec)) {
      this._pool ??= this.deps.makePool(this, saved, (s) => {
        if (s.ready && this.state === 'waiting-ready') this.dispatch({ type: 'ready' });
        else this.deps.changed(this);
      });
      this._pool.reserve(this.spec, preferredIds);
    } else if (this.pool !== null) {
      this.pool.exited();
      this._pool = null;
    }
    return this.pool;
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        return this.spawn();
      case 'signal':
        return this.signal(effect.signal as NodeJS.Signals);
      case 'schedule':
        return this.schedule(effect.deadline, effect.ms);
      case 'cancel':
        return this.cancel(effect.deadline);
      case 'count-restart':
        this._restarts += 1;
        return;
      case 'reset-restarts':
        this._restarts = 0;
        this.pool?.clearCounts();
        return;
      case 'remove':
        return this.deps.removed(this);
    }
  }

  private spawn(): void {
    this._adopted = false;
    this.tree.newRun(true);
    const prepared = prepareLaunch({
      id: this.id,
      spec: this.spec,
      pipes: this.pipes,
      pool: this.syncPool(),
      makeFifos: this.deps.makeFifos,
      ptyHome: (runAs) => this.deps.ptyHome(this.id, runAs),
    });
    if (!prepared.ok) {
      queueMicrotask(() => this.dispatch({ type: 'spawn-failed', message: prepared.message }));
      return;
    }
    const fds = prepared.fds;
    // Unique per incarnation across daemons and homes; need not be secret (see kill-tree.ts).
    // Recorded before the spawn: a daemon killed right after it finds the run by this token.
    const token = this.deps.newToken(this);
    this._token = token;
    // This run is what an operation under way asked for (the journal's spawn entry says so).
    this.pending = null;
    this.deps.intent(this, { op: 'spawn', token, restarts: this.restarts });
    faultPoint('before-spawn');
    const request = launchRequest(prepared, this.id, this.spec, this.deps.logPaths(this), token);
    // A new session and process group, so no terminal can hang it up and one signal to the
    // group reaches the whole tree. posix_spawn finishes on libuv's pool (see src/spawner/):
    // until then the app is `starting` with no pid, and a stop is held until the pid is known.
    const launch = {};
    this.launch = launch;
    launchApp(request, (err, child) => {
      if (this.launch !== launch) {
        // Detached meanwhile (daemon shutdown): the next daemon finds the run by its token.
        for (const fd of fds) closeSync(fd);
        child?.detach();
        return;
      }
      this.launch = null;
      if (err !== null || child === null) {
        for (const fd of fds) closeSync(fd);
        this.pendingSignal = null;
        const message = err?.message ?? 'unknown error';
        // A stop that came during the launch has nothing to wait for: the stop is complete.
        queueMicrotask(() =>
          this.dispatch(
            this.state === 'stopping' ? { type: 'exit', code: null, signal: null, uptimeMs: 0 } : { type: 'spawn-failed', message },
          ),
        );
        return;
      }
      this.started(child, fds);
    });
  }

  /**
   * A reload's new process, started and ready beside the old one (handoff-reload.ts), becomes the
   * app's run with no stop in between; the old one is returned, no longer watched, to be drained.
   */
  takeOver(next: AppChild, token: string): AppChild | null {
    const old = this.child;
    this._token = token;
    this._restarts += 1;
    this.tree.newRun(false);
    this.deps.intent(this, { op: 'spawn', token, restarts: this.restarts });
    this.started(next, []);
    return old;
  }

  private started(child: AppChild, fds: number[]): void {
    this.child = child;
    faultPoint('after-spawn');
    const pid = child.pid;
    if (pid !== undefined) {
      this._pid = pid;
      this._startTicks = readStat(pid)?.startTicks ?? null;
      this._startedAt = this.deps.now();
      this.deps.intent(this, { op: 'spawned', token: this.token as string, pid, startTicks: this.startTicks });
    }
    // The read ends are opened while our copies of the write ends still exist (see StdioPipes).
    try {
      this.pipes.attach();
    } catch (err) {
      this.deps.log('pipe-attach-failed', { id: this.id, error: (err as Error).message });
    }
    for (const fd of fds) closeSync(fd);
    child.onSpawnError((err) => {
      if (this.child === child) {
        this.child = null;
        this.dispatch({ type: 'spawn-failed', message: err.message });
      }
    });
    child.onMessage((msg: unknown) => {
      if (msg === 'ready' || (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ready'))
        this.dispatch({ type: 'ready' });
    });
    child.onExit((code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.onLeaderExit(code, signal, false);
    });
    if (pid !== undefined) {
      this.deps.log('spawn', { id: this.id, name: this.spec.name, pid });
      this.pool?.connect(pid);
      this.dispatch({ type: 'spawned' });
      const pending = this.pendingSignal;
      this.pendingSignal = null;
      if (pending !== null) this.signal(pending);
    }
  }

  /** The app's main process is gone; its exit is reported once the rest of its tree is gone too. */
  onLeaderExit(code: number | null, signal: string | null, unknown: boolean, scan?: ProcScan): void {
    this.tree.leaderExited({ code, signal, unknown }, scan);
  }

  /** The whole tree is gone (see TreeDrain): the exit goes through the machine. */
  private finishExit(draining: LeaderExit): void {
    const now = this.deps.now();
    const uptimeMs = this.startedAt === null ? 0 : now - this.startedAt;
    this._lastExit = { code: draining.code, signal: draining.signal, at: now, forced: this.snapshot.forced, unknown: draining.unknown };
    if (this.adopted) this.deps.watchAdopted(this, false);
    const oldPid = this.pid as number;
    this._adopted = false;
    this._pid = null;
    this._startTicks = null;
    this._startedAt = null;
    this.pool?.exited();
    this.dispatch({ type: 'exit', code: draining.code, signal: draining.signal, uptimeMs });
    // Logged after the dispatch: a restart's spawn does not wait for the daemon's own log line.
    this.deps.log('exit', { id: this.id, name: this.spec.name, pid: oldPid, code: draining.code, signal: draining.signal, uptimeMs });
  }

  /** The stop signal, to the whole tree (see TreeDrain.signal); held while a launch has no pid yet. */
  private signal(signal: NodeJS.Signals): void {
    if (this.pid === null) {
      if (this.launch !== null && this.pendingSignal !== 'SIGKILL') this.pendingSignal = signal;
      return;
    }
    this.tree.signal(this.pid, signal);
  }

  /** An operation's part for this app is done without a spawn (a holder reload, a scale, a wait). */
  finished(): void {
    if (this.pending === null) return;
    this.pending = null;
    this.deps.changed(this);
  }

  /** `tend reset`: the restart count and the unstable-run history start from zero again. */
  resetCounters(): void {
    this.dispatch({ type: 'reset' });
  }

  /** A restart tend decided on its own (memory, cron, health): counted, with its reason and time. */
  countLimitRestart(kind: LimitKind, reason: string, at: number): void {
    this._limits = { counts: { ...this._limits.counts, [kind]: (this._limits.counts[kind] ?? 0) + 1 }, last: { reason, at } };
  }

  /** A fork-mode app's reload (a socket handoff) ended: its outcome is shown by `describe` and kept in state.json. */
  recordReload(report: ReloadReport): void {
    this._lastReload = report;
    this.deps.changed(this);
  }

  private schedule(deadline: Deadline, ms: number): void {
    this.cancel(deadline);
    const timer = setTimeout(() => {
      this.timers.delete(deadline);
      if (deadline === 'backoff') this.backoffAt = null;
      this.dispatch({ type: 'deadline', deadline });
    }, ms);
    this.timers.set(deadline, timer);
    if (deadline === 'backoff') this.backoffAt = this.deps.now() + ms;
  }

  private cancel(deadline: Deadline): void {
    const t = this.timers.get(deadline);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(deadline);
    if (deadline === 'backoff') this.backoffAt = null;
  }

  private onStreamEnd(): void {
    // End-of-file on an adopted app's pipe usually means it died: check now rather than at the next poll.
    if (this.adopted) this.checkAdopted();
  }

  /** For adopted processes: called by the poller and on end-of-file. */
  checkAdopted(): void {
    if (!this.adopted || this.pid === null || this.tree.active) return;
    const st = readStat(this.pid);
    if (st === undefined || st.state === 'Z' || st.state === 'X' || st.startTicks !== this.startTicks) this.onLeaderExit(null, null, true);
  }

  /** Takes over a live process left by a previous daemon. */
  adopt(record: ProcessRecord): void {
    if (record.limits !== undefined) this._limits = record.limits;
    this._lastReload = record.lastReload ?? null;
    this._restarts = record.restarts;
    this._lastExit = record.lastExit;
    this._pid = record.pid;
    this._startTicks = record.startTicks;
    this._startedAt = record.startedAt;
    this._token = record.token;
    this._adopted = true;
    this.syncPool(record)?.connect(record.pid, true);
    this.pipes.attach();
    this.deps.watchAdopted(this, true);
    // The saved state through the machine (a stop under way goes on: signal, kill deadline).
    this.step({ type: 'adopt', saved: record.snapshot });
  }

  /** Restores a record whose process is gone (or never ran) while no daemon watched. */
  /** A record whose process is not running any more; `scan` is the restore's /proc pass. */
  restoreDead(record: ProcessRecord, scan?: ProcScan): void {
    this.syncPool(record);
    if (record.limits !== undefined) this._limits = record.limits;
    this._lastReload = record.lastReload ?? null;
    this._restarts = record.restarts;
    this._lastExit = record.lastExit;
    const died = isRunning(record.snapshot.state) && record.pid !== null;
    this.step({ type: 'restore', saved: record.snapshot, hadPid: record.pid !== null });
    if (died) {
      // It died while no daemon watched: apply the restart policy as for any exit.
      this._pid = record.pid;
      this._startedAt = record.startedAt;
      this._token = record.token;
      this.diedAway = { scan };
    }
  }

  /**
   * The exit of a process that died while no daemon ran, taken once the daemon is wired (its
   * observer follows exits: a job's last run is one), with the restore's /proc pass.
   */
  settleRestore(): void {
    const died = this.diedAway;
    this.diedAway = null;
    if (died !== null) this.onLeaderExit(null, null, true, died.scan);
  }

  /** toRecord() as JSON, reusing the cached spec text (state writes stay cheap with 100 apps). */
  toRecordJson(): string {
    this.specJson ??= JSON.stringify(this.spec);
    const { spec: _spec, ...rest } = this.toRecord();
    return `{"spec":${this.specJson},${JSON.stringify(rest).slice(1)}`;
  }

  toRecord(): ProcessRecord {
    return recordOf(this);
  }

  info(): ProcessInfo {
    return infoOf(this, this.deps.observe(this.id, this.pid), this.deps.now());
  }

  /** Daemon shutdown: stop watching, leave the process running for the next daemon. */
  detach(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.tree.close();
    this.pool?.disconnect();
    this.pipes.detach();
    this.child?.detach();
    this.child = null;
    this.launch = null;
  }
}
