import type { WorkerDriver, WorkerProcess } from '../../src/holder/driver.js';
import type { AppSpec } from '../../src/protocol/app-spec.js';

/**
 * A WorkerDriver with no real processes, for WorkerPool unit tests. What a process does is read
 * from its env `MODE` (set per spec, so a reload can bring a "new version"):
 * - `ok` (default): ready after READY_MS (default 5 ms), exits when retired;
 * - `never`: runs but never becomes ready;
 * - `throw`: exits with code 1 before it is ready;
 * - `crash-after-ready`: ready, then exits with code 1 CRASH_MS later;
 * - `stubborn`: ready, ignores retirement and kill_signal (only SIGKILL ends it).
 */
export class FakeDriver implements WorkerDriver {
  readonly kind = 'cluster' as const;
  readonly procs: FakeProc[] = [];
  private nextPid = 900_000;
  /** Spawns that fail (e.g. a missing script) while this is set. */
  failSpawn: string | null = null;
  /** Spawns are answered after this many ms (a slow driver, e.g. the sockets relay). */
  spawnDelayMs = 0;

  async spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess> {
    if (this.spawnDelayMs > 0) await new Promise((r) => setTimeout(r, this.spawnDelayMs));
    if (this.failSpawn !== null) throw new Error(this.failSpawn);
    const p = new FakeProc(this.nextPid++, instance, spec, env);
    this.procs.push(p);
    p.behave();
    return p;
  }

  close(): void {}

  /** Processes that have not exited. */
  alive(): FakeProc[] {
    return this.procs.filter((p) => !p.exitedFlag);
  }
}

export class FakeProc implements WorkerProcess {
  exitedFlag = false;
  retired = false;
  readonly signals: string[] = [];
  private exitCbs: Array<(code: number | null, signal: string | null) => void> = [];
  private readyCbs: Array<() => void> = [];
  private isReady = false;

  constructor(
    readonly pid: number,
    readonly instance: number,
    readonly spec: AppSpec,
    readonly env: Record<string, string>,
  ) {}

  get mode(): string {
    return this.env.MODE ?? 'ok';
  }

  behave(): void {
    const readyMs = Number(this.env.READY_MS ?? 5);
    if (this.mode === 'throw') setTimeout(() => this.exit(1, null), 5);
    if (this.mode === 'ok' || this.mode === 'crash-after-ready' || this.mode === 'stubborn') {
      setTimeout(() => {
        if (this.exitedFlag) return;
        this.isReady = true;
        for (const cb of this.readyCbs) cb();
        if (this.mode === 'crash-after-ready') setTimeout(() => this.exit(1, null), Number(this.env.CRASH_MS ?? 20));
      }, readyMs);
    }
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.exitCbs.push(cb);
  }

  onReady(cb: () => void): void {
    if (this.isReady) queueMicrotask(cb);
    else this.readyCbs.push(cb);
  }

  retire(): void {
    this.retired = true;
    if (this.mode !== 'stubborn') setTimeout(() => this.exit(0, null), 2);
  }

  /** Lines written to its stdin. */
  readonly stdin: string[] = [];

  write(line: string): number {
    this.stdin.push(line);
    return Buffer.byteLength(line);
  }

  signal(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || (this.mode !== 'stubborn' && (signal === 'SIGTERM' || signal === 'SIGINT')))
      setTimeout(() => this.exit(null, signal), 1);
  }

  /** The process ends (a crash when nothing asked it to). */
  exit(code: number | null, signal: string | null): void {
    if (this.exitedFlag) return;
    this.exitedFlag = true;
    for (const cb of this.exitCbs) cb(code, signal);
  }
}
