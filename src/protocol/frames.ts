import type { WireError } from './errors.js';
import type { DaemonEvent } from './events.js';
import type { MethodName, MethodParams, MethodResult } from './methods.js';

/**
 * Bump when a frame or method changes incompatibly. A CLI and a daemon of different versions
 * refuse to talk and say what to do (`tend daemon restart`).
 */
export const PROTOCOL_VERSION = 1;

/** Frames larger than this are refused and the connection closed. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export interface HelloFrame {
  t: 'hello';
  protocol: number;
  /** Who is speaking: `tend-cli 0.1.0`, `tend-daemon 0.1.0`. */
  agent: string;
  pid: number;
}

export type RequestFrame = {
  [K in MethodName]: { t: 'req'; id: number; method: K; params: MethodParams<K> };
}[MethodName];

export type ResponseFrame =
  { t: 'res'; id: number; ok: true; result: MethodResult<MethodName> } | { t: 'res'; id: number; ok: false; error: WireError };

export interface EventFrame {
  t: 'evt';
  subscription: number;
  event: DaemonEvent;
}

/** Sent once by the daemon when it refuses a connection (bad hello, garbage, oversized frame). */
export interface ErrorFrame {
  t: 'error';
  error: WireError;
}

export type ClientFrame = HelloFrame | RequestFrame;
export type ServerFrame = HelloFrame | ResponseFrame | EventFrame | ErrorFrame;
