import { TendError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';

/**
 * How the app runs besides its command: recycled at `max_age`, a scheduled job, a one-shot
 * `task`, ready from a log line, sticky sessions. Checks the combinations and sets the spec's optional fields
 * (each of these implies others: a job is a task, a ready line waits for readiness).
 */
export function applyRunKind(spec: AppSpec, get: <T>(key: string) => T, source: string): void {
  // Run by a holder (see supervisor/pool-holder.ts): several processes sharing one output.
  const held = spec.execMode === 'cluster' || spec.listen.length > 0 || spec.proxy !== undefined;
  const maxAge = get<number | undefined>('max_age');
  if (maxAge !== undefined && maxAge > 0) {
    if (maxAge < 1000)
      throw new TendError('E_INVALID_VALUE', `${source}: \`max_age\` must be at least 1s, got ${maxAge} ms`, {
        hint: "Example: max_age: '12h'.",
        details: { field: 'max_age', source },
      });
    spec.maxAgeMs = maxAge;
    spec.maxAgeJitterMs = get<number | undefined>('max_age_jitter') ?? Math.round(maxAge / 10);
  }
  const schedule = get<string | undefined>('schedule');
  const every = get<number | undefined>('schedule_interval');
  if (schedule !== undefined || every !== undefined) {
    const fail = (message: string, hint: string): never => {
      throw new TendError('E_INVALID_VALUE', `${source}: ${message}`, { hint, details: { field: 'schedule', source } });
    };
    if (schedule !== undefined && every !== undefined)
      fail('give `schedule` or `schedule_interval`, not both', "Example: schedule: '*/15 * * * *' or schedule_interval: '15m'.");
    if (every !== undefined && every < 1000)
      fail(`\`schedule_interval\` must be at least 1s, got ${every} ms`, "Example: schedule_interval: '10m'.");
    if (held)
      fail('a scheduled job runs one process; it cannot be a cluster or `listen` app', 'Drop instances/exec_mode/listen from the job.');
    if (schedule !== undefined) spec.schedule = schedule;
    if (every !== undefined) spec.scheduleIntervalMs = every;
    spec.overlap = get('overlap');
    spec.runAtStart = get('run_at_start');
    spec.task = true;
  }
  if (get<boolean>('task')) {
    if (held) {
      throw new TendError('E_INVALID_VALUE', `${source}: a \`task\` runs one process once; it cannot be a cluster or \`listen\` app`, {
        hint: 'Drop instances/exec_mode/listen from the task.',
        details: { field: 'task', source },
      });
    }
    spec.task = true;
  }
  if (get<boolean>('sticky')) {
    // The cluster primary picks the worker of each connection; processes on passed sockets accept themselves.
    if (spec.listen.length > 0)
      throw new TendError(
        'E_INVALID_VALUE',
        `${source}: \`sticky\` works in cluster mode (node:cluster), and this app gets its sockets through \`listen\``,
        {
          hint: 'Drop `listen` and run the Node app with -i N (cluster mode), or drop `sticky`: processes on passed sockets accept connections themselves.',
          details: { field: 'sticky', source },
        },
      );
    spec.sticky = true;
  }
  const readyLine = get<string | undefined>('ready_log_line');
  if (readyLine !== undefined) {
    try {
      new RegExp(readyLine);
    } catch (err) {
      throw new TendError('E_INVALID_VALUE', `${source}: \`ready_log_line\` is not a regular expression: ${(err as Error).message}`, {
        hint: "Example: ready_log_line: 'listening on port \\d+'",
        details: { field: 'ready_log_line', source },
      });
    }
    if (held) {
      throw new TendError(
        'E_INVALID_VALUE',
        `${source}: \`ready_log_line\` is not supported for cluster or \`listen\` apps (their workers' lines are not told apart)`,
        {
          hint: "Have each worker call process.send('ready') with wait_ready, or use a health check.",
          details: { field: 'ready_log_line', source },
        },
      );
    }
    // A line is how this app says it is ready: it waits for it as for process.send('ready').
    spec.readyLogLine = readyLine;
    spec.waitReady = true;
  }
}
