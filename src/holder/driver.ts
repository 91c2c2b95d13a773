import type { Writable } from 'node:stream';
import type { AppSpec } from '../protocol/app-spec.js';
import type { HolderKind } from '../protocol/holder.js';

/** One process of the app, as a driver runs it. */
export interface WorkerProcess {
  readonly pid: number;
  /** Once, when the process is gone. */
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  /** When the process is ready: listening (cluster), `process.send('ready')`, or `READY=1`. */
  onReady(cb: () => void): void;
  /** First step of a graceful stop: out of rotation, finish what is in flight. */
  retire(): void;
  signal(signal: NodeJS.Signals): void;
  /** Writes to the process's stdin without waiting: the bytes written, or an error when its pipe is full. */
  write(line: string): number;
}

/** How a holder starts the app's processes: node:cluster workers, or any program on inherited sockets. */
export interface WorkerDriver {
  readonly kind: HolderKind;
  /** Ready when spawned unless the app reports readiness itself. */
  spawn(spec: AppSpec, instance: number, env: Record<string, string>): Promise<WorkerProcess>;
  /** The holder is about to stop every process (before their retirement). */
  stopping?(): void;
  close(): void;
}

/** PM2's readiness message: `process.send('ready')` (or `{ type: 'ready' }`). */
export const isReadyMessage = (msg: unknown): boolean =>
  msg === 'ready' || (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ready');

/** What a worker's environment is: the app's env, the instance number, the incremented variable. */
export function workerEnv(spec: AppSpec, instance: number, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...spec.env, ...extra, [spec.instanceVar]: String(instance) };
  if (spec.incrementVar !== null) {
    const base = Number(spec.env[spec.incrementVar]);
    if (Number.isInteger(base)) env[spec.incrementVar] = String(base + instance);
  }
  return env;
}

/** Bytes a worker's stdin may hold unread before `tend send` fails instead of queueing more (a pipe buffer). */
const STDIN_BACKLOG_BYTES = 64 * 1024;

/** A line to a worker's stdin pipe, never queueing without bound (an app that does not read fails the send). */
export function writeStdin(stdin: Writable | null, line: string): number {
  if (stdin === null || stdin.destroyed || !stdin.writable)
    throw Object.assign(new Error('its stdin is closed'), { code: 'E_NOT_RUNNING' });
  if (stdin.writableLength >= STDIN_BACKLOG_BYTES)
    throw Object.assign(new Error('it does not read its stdin fast enough (its pipe is full); try again later'), { code: 'E_INTERNAL' });
  const data = Buffer.from(line);
  stdin.write(data);
  return data.length;
}
