import { constants } from 'node:os';
import type { Libc } from './libc.js';

export type ExitCallback = (code: number | null, signal: NodeJS.Signals | null) => void;

const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
/** A sweep without a signal now and then: costs one waitid when nothing exited. */
const SAFETY_SWEEP_MS = 5000;
const signalNames = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** Decodes a wait status: the exit code, or the signal that ended the process. */
export function decodeStatus(status: number): { code: number | null; signal: NodeJS.Signals | null } {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: signalNames.get(sig) ?? null };
}

/**
 * Waits for the children the native spawner started. libuv waits only for the pids it spawned
 * (one waitpid per pid it knows), so these would stay zombies. On SIGCHLD (coalesced to one sweep
 * per event-loop turn) waitid(P_ALL, WNOWAIT) names the next exited child without reaping it:
 * ours is reaped and reported, and a child of libuv's (a hook, mkfifo) is left to libuv, after
 * which each of ours is asked by its pid.
 */
export class ChildReaper {
  private readonly waiting = new Map<number, ExitCallback>();
  private scheduled = false;
  private listening = false;
  private readonly info = Buffer.alloc(128);
  private readonly onSignal = (): void => this.schedule();
  /** Keeps the event loop alive while a child is waited for, as a ChildProcess does; also sweeps. */
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly libc: Libc) {}

  /** Reports the exit of `pid` (a child of this process) once. */
  watch(pid: number, onExit: ExitCallback): void {
    this.waiting.set(pid, onExit);
    if (!this.listening) {
      this.listening = true;
      process.on('SIGCHLD', this.onSignal);
    }
    this.keepAlive ??= setInterval(() => this.schedule(), SAFETY_SWEEP_MS);
    // It may have exited before the listener saw its signal.
    this.schedule();
  }

  /** Stops reporting `pid` (the daemon leaves the process running for the next daemon). */
  forget(pid: number): void {
    this.waiting.delete(pid);
    this.idleCheck();
  }

  private idleCheck(): void {
    if (this.waiting.size === 0 && this.keepAlive !== null) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  has(pid: number): boolean {
    return this.waiting.has(pid);
  }

  get size(): number {
    return this.waiting.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.sweep();
    });
  }

  private sweep(): void {
    for (;;) {
      this.info.fill(0);
      if (this.libc.waitid(P_ALL, 0, this.info, WEXITED | WNOHANG | WNOWAIT) !== 0) break;
      const pid = this.info.readInt32LE(16);
      if (pid === 0) return this.idleCheck();
      if (!this.waiting.has(pid) || !this.reap(pid)) break;
    }
    for (const pid of [...this.waiting.keys()]) this.reap(pid);
    this.idleCheck();
  }

  /** True if `pid` had exited and was reported. */
  private reap(pid: number): boolean {
    const status = [0];
    const got = this.libc.waitpid(pid, status, WNOHANG);
    if (got === 0) return false;
    const onExit = this.waiting.get(pid);
    this.waiting.delete(pid);
    // -1: not our child any more (ECHILD); report an unknown end rather than wait forever.
    const { code, signal } = got === pid ? decodeStatus(status[0] as number) : { code: null, signal: null };
    onExit?.(code, signal);
    return true;
  }
}
