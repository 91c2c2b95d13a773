import { readFileSync } from 'node:fs';
import { TendError } from '../errors.js';
import { isSameProcessAlive } from '../metrics/procfs.js';
import type { Target } from '../protocol/methods.js';
import type { AppSpec, ProcessInfo } from '../protocol/model.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { fifoPath, type TendPaths } from '../store/paths.js';
import { ProcessHandle, type ProcessRecord } from './process-handle.js';
import type { ProcessState } from './process-machine.js';
import type { OutputSink } from './stdio-pipes.js';
import { FifoPool } from './fifo-pool.js';
import { ProcScanScheduler } from './proc-scan.js';
import { forEachBounded, inBatches } from '../lib/bounded.js';
import { resolveTarget } from './targets.js';
import { STATUS_VERSION, type StatusFile } from '../protocol/status.js';
import { specsEqual } from '../config/specs-equal.js';

export const STATE_VERSION = 1;

interface StateFile {
  version: number;
  nextId: number;
  apps: ProcessRecord[];
}

export interface SupervisorDeps {
  paths: TendPaths;
  now(): number;
  log(event: string, data: Record<string, unknown>): void;
  /** Every state change, for subscribers (process:state events); `deleted` on an app's last one. */
  onState(info: ProcessInfo, deleted: boolean): void;
  /** Builds the sink that receives an app's output and (re)configures its log files. */
  logs: {
    sinkFor(id: number): OutputSink;
    configure(id: number, spec: AppSpec): void;
    remove(id: number): void;
  };
  /** How often adopted processes (not our children) are checked through /proc. */
  adoptedPollMs?: number;
}

type Waiter = { done: (s: ProcessState) => boolean; resolve: () => void };

/**
 * Bulk commands (`restart all`, `stop all`, …) keep at most this many apps between "stop
 * signalled" and "new process spawned" at once: spawns are synchronous in the daemon, so this
 * bounds the work done in one event-loop turn (a `ping` is answered between turns) and the
 * number of processes starting on the machine at the same time.
 */
const BULK_SPAWNS_IN_FLIGHT = 16;
/** Stops are cheap (a signal): they are sent this many per event-loop turn. */
const BULK_SIGNALS_PER_TURN = 64;
/** While changes keep coming, state.json and status.json are rewritten at most this often. */
const PERSIST_INTERVAL_MS = 50;
/** …and at least this many times what the last write took (≤ ~5% of the daemon's time). */
const PERSIST_GAP_PER_COST = 20;

/** The registry of apps: start/stop/restart/delete orchestration and the persisted state. */
export class Supervisor {
  private apps = new Map<number, ProcessHandle>();
  private nextId = 0;
  /** Commands waiting for an app to reach a state, by app: a change looks at its own app's only. */
  private waiters = new Map<ProcessHandle, Set<Waiter>>();
  private readonly scans: ProcScanScheduler;
  private adopted = new Set<ProcessHandle>();
  private adoptedTimer: NodeJS.Timeout | null = null;
  private persistTimer: NodeJS.Timeout | null = null;
  private persistDirty = false;
  private lastPersistAt = 0;
  private lastPersistCostMs = 0;
  private answerQueued = false;
  private closed = false;
  private readonly fifos: FifoPool;

  constructor(private readonly deps: SupervisorDeps) {
    this.fifos = new FifoPool(deps.paths.pipeDir, deps.log);
    this.scans = new ProcScanScheduler(() => this.leaderPids(), (err) => deps.log('scan-callback-failed', { error: (err as Error).message, stack: (err as Error).stack }));
  }

  /** Loads the state a previous daemon left, adopting every process that is still alive. */
  restore(): { adopted: number; restarted: number } {
    this.fifos.start();
    let state: StateFile;
    try {
      state = JSON.parse(readFileSync(this.deps.paths.stateFile, 'utf8')) as StateFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { adopted: 0, restarted: 0 };
      this.deps.log('state-unreadable', { error: (err as Error).message });
      return { adopted: 0, restarted: 0 };
    }
    if (state.version !== STATE_VERSION || !Array.isArray(state.apps)) {
      this.deps.log('state-version-unknown', { version: state.version });
      return { adopted: 0, restarted: 0 };
    }
    this.nextId = state.nextId;
    let adopted = 0;
    let restarted = 0;
    for (const record of state.apps) {
      const handle = this.create(record);
      if (record.pid !== null && isSameProcessAlive(record.pid, record.startTicks)) {
        handle.adopt(record);
        adopted += 1;
      } else {
        handle.restoreDead(record);
        if (handle.state === 'starting' || handle.state === 'backoff') restarted += 1;
      }
    }
    this.persist();
    return { adopted, restarted };
  }

  private create(record: Pick<ProcessRecord, 'id' | 'spec' | 'createdAt'>): ProcessHandle {
    const id = record.id;
    const pipes = { in: fifoPath(this.deps.paths, id, 'in'), out: fifoPath(this.deps.paths, id, 'out'), err: fifoPath(this.deps.paths, id, 'err') };
    const sink = this.deps.logs.sinkFor(id);
    this.deps.logs.configure(id, record.spec);
    const handle = new ProcessHandle(record, pipes, sink, {
      now: this.deps.now,
      log: this.deps.log,
      changed: (p) => this.changed(p),
      removed: (p) => this.removed(p),
      watchAdopted: (p, on) => this.watchAdopted(p, on),
      makeFifos: (paths) => this.fifos.provide(paths),
      afterScan: (fn) => this.scans.afterScan(fn),
    });
    this.apps.set(id, handle);
    return handle;
  }

  /** The desired set: every app's spec, in id order (what `tend save` writes). */
  specs(): AppSpec[] {
    return [...this.apps.values()].sort((a, b) => a.id - b.id).map((h) => h.spec);
  }

  list(): ProcessInfo[] {
    return [...this.apps.values()].sort((a, b) => a.id - b.id).map((h) => h.info());
  }

  resolve(target: Target): ProcessHandle[] {
    return resolveTarget(this.apps.values(), target);
  }

  /** Starts a new app, or an existing stopped one of that name with the new spec. */
  async start(spec: AppSpec): Promise<ProcessInfo[]> {
    const existing = [...this.apps.values()].find((h) => h.spec.name === spec.name);
    if (existing !== undefined) {
      if (existing.state !== 'stopped' && existing.state !== 'errored') {
        throw new TendError('E_APP_EXISTS', `an app named \`${spec.name}\` is already running (id ${existing.id})`, {
          hint: `Pick another name with --name, or restart it: tend restart ${spec.name}`,
        });
      }
      existing.spec = spec;
      this.deps.logs.configure(existing.id, spec);
      return this.startHandles([existing]);
    }
    const handle = this.create({ id: this.nextId++, spec, createdAt: this.deps.now() });
    return this.startHandles([handle]);
  }

  /** `tend start <config file>`: make the app match its spec, restarting only when it changed. */
  async apply(spec: AppSpec, forceRestart: boolean): Promise<{ action: 'created' | 'started' | 'restarted' | 'unchanged'; process: ProcessInfo }> {
    const existing = [...this.apps.values()].find((h) => h.spec.name === spec.name);
    if (existing === undefined) return { action: 'created', process: (await this.start(spec))[0] as ProcessInfo };
    const stopped = existing.state === 'stopped' || existing.state === 'errored';
    if (!stopped && !forceRestart && specsEqual(existing.spec, spec)) return { action: 'unchanged', process: existing.info() };
    existing.spec = spec;
    this.deps.logs.configure(existing.id, spec);
    if (stopped) return { action: 'started', process: (await this.startHandles([existing]))[0] as ProcessInfo };
    return { action: 'restarted', process: (await this.restart(existing.id))[0] as ProcessInfo };
  }

  async startTarget(target: Target): Promise<ProcessInfo[]> {
    return this.startHandles(this.resolve(target));
  }

  private async startHandles(handles: ProcessHandle[]): Promise<ProcessInfo[]> {
    const waits: Promise<void>[] = [];
    await inBatches(handles, BULK_SPAWNS_IN_FLIGHT, (h) => {
      h.dispatch({ type: 'start' });
      waits.push(this.waitFor(h, (s) => s !== 'starting' && (!h.spec.waitReady || s !== 'waiting-ready')));
    });
    await Promise.all(waits);
    return this.answer(handles);
  }

  async stop(target: Target): Promise<ProcessInfo[]> {
    const handles = this.resolve(target);
    const waits: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      h.dispatch({ type: 'stop' });
      waits.push(this.waitFor(h, (s) => s === 'stopped' || s === 'errored'));
    });
    await Promise.all(waits);
    return this.answer(handles);
  }

  /**
   * Restarts with at most BULK_SPAWNS_IN_FLIGHT apps between their stop and their new spawn; an
   * app's slot is free once it is spawned (its readiness is waited for outside the limit).
   */
  async restart(target: Target): Promise<ProcessInfo[]> {
    const handles = this.resolve(target);
    const ready: Promise<void>[] = [];
    await forEachBounded(handles, BULK_SPAWNS_IN_FLIGHT, async (h) => {
      h.dispatch({ type: 'restart' });
      ready.push(this.waitFor(h, (s) => s !== 'stopping' && s !== 'starting' && (!h.spec.waitReady || s !== 'waiting-ready')));
      await this.waitFor(h, (s) => s !== 'stopping' && s !== 'starting');
    });
    await Promise.all(ready);
    return this.answer(handles);
  }

  async delete(target: Target): Promise<ProcessInfo[]> {
    const handles = this.resolve(target);
    const infos = handles.map((h) => h.info());
    const gone: Promise<void>[] = [];
    await inBatches(handles, BULK_SIGNALS_PER_TURN, (h) => {
      gone.push(this.waitFor(h, () => !this.apps.has(h.id)));
      h.dispatch({ type: 'delete' });
    });
    await Promise.all(gone);
    this.answer([]);
    return infos.map((i) => ({ ...i, status: 'stopped' as const, pid: null, uptimeMs: 0 }));
  }

  signal(target: Target, signal: NodeJS.Signals): ProcessInfo[] {
    const handles = this.resolve(target);
    const running = handles.filter((h) => h.pid !== null);
    if (running.length === 0) {
      throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` has no running process to signal`, { hint: `Start it first: tend start ${String(target)}` });
    }
    for (const h of running) h.sendSignal(signal);
    return running.map((h) => h.info());
  }

  send(target: Target, line: string): { bytes: number; processes: number } {
    const running = this.resolve(target).filter((h) => h.pid !== null);
    if (running.length === 0) throw new TendError('E_NOT_RUNNING', `\`${String(target)}\` is not running`, { hint: `Start it first: tend start ${String(target)}` });
    let bytes = 0;
    for (const h of running) {
      try {
        bytes += h.pipes.send(line.endsWith('\n') ? line : `${line}\n`);
      } catch (err) {
        throw new TendError('E_INTERNAL', `could not write to the stdin of ${h.spec.name}: ${(err as Error).message}`, {
          hint: 'The app is not reading its stdin fast enough (its pipe is full); try again later.',
        });
      }
    }
    return { bytes, processes: running.length };
  }

  /** Resolves when the handle's state satisfies `done` (checked after every change). */
  private waitFor(handle: ProcessHandle, done: (s: ProcessState) => boolean): Promise<void> {
    if (done(handle.state)) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(handle);
      if (set === undefined) this.waiters.set(handle, (set = new Set()));
      set.add({ done, resolve });
    });
  }

  private changed(handle: ProcessHandle, deleted = false): void {
    const set = this.waiters.get(handle);
    if (set !== undefined) {
      for (const w of set) {
        if (w.done(handle.state)) {
          set.delete(w);
          w.resolve();
        }
      }
      if (set.size === 0) this.waiters.delete(handle);
    }
    this.persist();
    this.deps.onState(handle.info(), deleted);
  }

  private removed(handle: ProcessHandle): void {
    this.apps.delete(handle.id);
    handle.detach();
    handle.pipes.remove();
    this.deps.logs.remove(handle.id);
    this.changed(handle, true);
  }

  private watchAdopted(handle: ProcessHandle, on: boolean): void {
    if (on) this.adopted.add(handle);
    else this.adopted.delete(handle);
    if (this.adopted.size > 0 && this.adoptedTimer === null && !this.closed) {
      this.adoptedTimer = setInterval(() => {
        for (const h of [...this.adopted]) h.checkAdopted();
      }, this.deps.adoptedPollMs ?? 200);
    } else if (this.adopted.size === 0 && this.adoptedTimer !== null) {
      clearInterval(this.adoptedTimer);
      this.adoptedTimer = null;
    }
  }

  /**
   * Persists on the next turn, so a burst of changes is one write; while changes keep coming
   * (a bulk command), at most one write per PERSIST_INTERVAL_MS: each write holds every app, so
   * one per change would make a `restart all` quadratic. A command's answer flushes (see answer).
   */
  private persist(): void {
    if (this.closed) return;
    this.persistDirty = true;
    if (this.persistTimer !== null) return;
    // Spaced by what a write costs too, so writing stays a small share of the daemon's time.
    const waitMs = this.lastPersistAt + Math.max(PERSIST_INTERVAL_MS, this.lastPersistCostMs * PERSIST_GAP_PER_COST) - this.deps.now();
    this.persistTimer = setTimeout(() => this.flushPersist(), Math.max(0, waitMs));
  }

  private flushPersist(): void {
    this.cancelPersist();
    if (!this.persistDirty || this.closed) return;
    this.persistDirty = false;
    const started = performance.now();
    this.writeState();
    this.publishStatus();
    this.lastPersistCostMs = performance.now() - started;
    this.lastPersistAt = this.deps.now();
  }

  private cancelPersist(): void {
    if (this.persistTimer !== null) clearTimeout(this.persistTimer);
    this.persistTimer = null;
  }

  /**
   * A command's answer: the state is written and the status published before it goes out (once
   * per turn however many answers share it), so a `tend list` right after sees the same.
   */
  private answer(handles: ProcessHandle[]): ProcessInfo[] {
    if (!this.answerQueued) {
      this.answerQueued = true;
      // Runs before the awaiting RPC handler resumes (queued ahead of its continuation).
      queueMicrotask(() => {
        this.answerQueued = false;
        if (this.persistDirty) this.flushPersist();
        else this.publishStatus();
      });
    }
    return handles.map((h) => h.info());
  }

  /**
   * The process list as a small file (no specs), s6-svstat style: `tend list` reads it instead
   * of opening the control socket, once it has checked that this daemon is alive.
   */
  private publishStatus(): void {
    if (this.closed) return;
    const status: StatusFile = { version: STATUS_VERSION, daemonPid: process.pid, writtenAt: this.deps.now(), apps: this.list() };
    try {
      writeFileAtomic(this.deps.paths.statusFile, JSON.stringify(status), 0o600, false);
    } catch (err) {
      this.deps.log('status-write-failed', { error: (err as Error).message });
    }
  }

  /** Runtime state, not what the user saved: no fsync (after a power cut no process survives anyway). */
  private writeState(): void {
    const apps = [...this.apps.values()].map((h) => h.toRecordJson()).join(',');
    try {
      writeFileAtomic(this.deps.paths.stateFile, `{"version":${STATE_VERSION},"nextId":${this.nextId},"apps":[${apps}]}`, 0o600, false);
    } catch (err) {
      this.deps.log('state-write-failed', { error: (err as Error).message });
    }
  }

  /** Stops every app (tend kill) and forgets them. */
  async stopAll(): Promise<number> {
    const n = this.apps.size;
    if (n > 0) await this.delete('all');
    return n;
  }

  /** Daemon shutdown: write the state, leave every process running for the next daemon. */
  detachAll(): void {
    if (this.closed) return;
    this.writeState();
    this.publishStatus();
    this.closed = true;
    this.cancelPersist();
    this.scans.close();
    this.fifos.close();
    if (this.adoptedTimer !== null) clearInterval(this.adoptedTimer);
    this.adoptedTimer = null;
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
