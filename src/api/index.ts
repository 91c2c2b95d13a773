/**
 * tend's Node API: `import { connect } from 'tend-pm'` (or `require('tend-pm')`).
 *
 *   const tend = await connect();
 *   await tend.start({ name: 'api', script: 'server.js', env: { PORT: '3000' } });
 *   for await (const e of await tend.events()) console.log(e.info.name, e.info.status);
 *
 * Errors are TendErrors with the CLI's codes (`err.code`, `err.exitCode`, `err.hint`).
 */
import { Tend, type ConnectOptions } from './tend.js';

/** Connects to the daemon of the home (starting one if none runs, unless `launch: false`). */
export function connect(options: ConnectOptions = {}): Promise<Tend> {
  return Tend.connect(options);
}

export { Tend };
export type { AppConfig, ConnectOptions, EventsOptions, LogsOptions, StartOptions, StartResult } from './tend.js';
export { ExitCode, TendError, isTendError } from '../errors.js';
export type { ErrorCode } from '../protocol/errors.js';
export type { DaemonEvent, ProcessStateEvent, SubscribableEventType } from '../protocol/events.js';
export type { ApplyAction, ApplyMode, Target } from '../protocol/methods.js';
export type { AppSpec } from '../protocol/app-spec.js';
export type { DaemonInfo } from '../protocol/daemon-info.js';
export type { LogRecord, LogStream } from '../protocol/logs.js';
export type { ProcessDetail, ProcessInfo, ProcessStatus } from '../protocol/process-info.js';
