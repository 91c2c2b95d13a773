import { buildCommand } from '../lib/command-line.js';
import { isScheduled } from '../config/schedule.js';
import { TendError } from '../errors.js';
import type { AppSpec, ExecSpec } from '../protocol/app-spec.js';
import { isSecret } from '../protocol/secrets.js';
import { onCalendar } from './job-schedule.js';
import {
  environmentFileLine,
  environmentLine,
  escapeSpecifiers,
  execLine,
  isValidEnvName,
  renderUnit,
  timeSpan,
  unitNameFor,
  type UnitSection,
} from '../lib/systemd-syntax.js';

export interface AppUnitOptions {
  /** Absolute path of the program for each non-absolute name (node, python3, a PATH command). */
  resolveProgram(name: string, spec: AppSpec): string;
  /** Where the secrets' EnvironmentFile will be written (absolute). */
  envFilePath(unitName: string): string;
  /** User= for system units; null = whoever the manager runs units as. */
  user: string | null;
  /** A `systemctl --user` unit (WantedBy=default.target, no User=). */
  rootless: boolean;
  /** Header line naming the generator. */
  generator: string;
}

export interface AppUnit {
  unitName: string;
  unit: string;
  /** Secret-looking variables, for a 0600 file (null when there are none). */
  envFile: string | null;
  /** Variables left out (names systemd cannot carry). */
  skippedEnv: string[];
  /** A scheduled job's `<name>.timer` (the service then has no [Install]); null otherwise. */
  timer: string | null;
}

/**
 * The program and argv systemd runs: the supervisor's (lib/command-line.ts), with the program
 * resolved now (`node` is the Node.js found at export time), because systemd does not search the
 * app's PATH.
 */
export function execArgv(exec: ExecSpec, resolve: (name: string) => string): string[] {
  const c = buildCommand(exec, 'node');
  return [resolve(c.file), ...c.args];
}

/** One app as a systemd service that behaves as tend would run it. */
export function renderAppUnit(spec: AppSpec, opts: AppUnitOptions): AppUnit {
  const unitName = unitNameFor(spec.name);
  const plain: string[] = [];
  const secret: string[] = [];
  const skippedEnv: string[] = [];
  // What the supervisor adds at each spawn (pm2-style apps read NODE_APP_INSTANCE), unless the spec sets it.
  const env = { TEND_APP_NAME: spec.name, NODE_APP_INSTANCE: '0', ...spec.env };
  for (const [name, value] of Object.entries(env)) {
    if (!isValidEnvName(name)) skippedEnv.push(name);
    else if (isSecret(name, value)) secret.push(environmentFileLine(name, value));
    else plain.push(environmentLine(name, value));
  }
  const argv = execArgv(spec.exec, (name) => (name.startsWith('/') ? name : opts.resolveProgram(name, spec)));

  const unitLines: string[] = [`Description=${escapeSpecifiers(`${spec.name} (exported from tend)`)}`];
  if (!opts.rootless) unitLines.push('After=network.target');
  const scheduled = isScheduled(spec);
  // A task runs to completion: oneshot, so a timer never starts a second run while one runs (overlap: skip).
  const service: string[] = [
    spec.task === true ? 'Type=oneshot' : 'Type=exec',
    `WorkingDirectory=${escapeSpecifiers(spec.cwd)}`,
    `ExecStart=${execLine(argv)}`,
  ];
  if (opts.user !== null && !opts.rootless) service.push(`User=${escapeSpecifiers(opts.user)}`);
  service.push(...plain);
  if (secret.length > 0) {
    service.push('# Secret-looking variables live in a file only its owner can read (0600), not in this unit.');
    service.push(`EnvironmentFile=${escapeSpecifiers(opts.envFilePath(unitName))}`);
  }
  if (skippedEnv.length > 0) service.push(`# Left out (not valid variable names for systemd): ${escapeSpecifiers(skippedEnv.join(' '))}`);
  service.push(...restartLines(spec, unitLines));
  service.push(
    `KillSignal=${spec.killSignal}`,
    `TimeoutStopSec=${timeSpan(spec.killTimeoutMs)}`,
    'StandardOutput=journal',
    'StandardError=journal',
    `SyslogIdentifier=${escapeSpecifiers(unitName.replace(/\.service$/, ''))}`,
  );
  if (spec.waitReady) service.push('# wait_ready is not mapped: systemd would need the app to call sd_notify (Type=notify).');
  const sections: UnitSection[] = [
    ['Unit', unitLines],
    ['Service', service],
    ...(scheduled ? [] : [['Install', [`WantedBy=${opts.rootless ? 'default.target' : 'multi-user.target'}`]] as UnitSection]),
  ];
  const header = [`${opts.generator} from app "${spec.name}".`, `Logs: journalctl ${opts.rootless ? '--user ' : ''}-u ${unitName}`];
  return {
    unitName,
    unit: renderUnit(header, sections),
    envFile: secret.length > 0 ? `# Secrets of ${spec.name}, for ${unitName} (keep this file 0600).\n${secret.join('\n')}\n` : null,
    skippedEnv,
    timer: scheduled ? renderTimer(spec, unitName, opts.generator) : null,
  };
}

/**
 * A scheduled job's timer: OnCalendar= from `schedule`, or OnActiveSec=/OnUnitActiveSec= from
 * `schedule_interval`; not Persistent= (missed runs are not caught up, as in tend), and to the
 * second. A schedule with no systemd equivalent is refused rather than changed.
 */
function renderTimer(spec: AppSpec, unitName: string, generator: string): string {
  const timer: string[] = [];
  if (spec.schedule !== undefined) {
    const { calendar, why } = onCalendar(spec.schedule);
    if (calendar === null)
      throw new TendError('E_USAGE', `${spec.name}: cannot export its schedule as a systemd timer: ${why ?? ''}`, {
        hint: 'Write the schedule as separate fields systemd can follow (e.g. two apps), or use schedule_interval.',
      });
    timer.push(`OnCalendar=${calendar}`);
    if (spec.runAtStart === true) timer.push('OnActiveSec=0');
  } else {
    const every = timeSpan(spec.scheduleIntervalMs ?? 0);
    timer.push(`OnActiveSec=${spec.runAtStart === true ? '0' : every}`, `OnUnitActiveSec=${every}`);
  }
  timer.push('AccuracySec=1s', 'Persistent=false', `Unit=${unitName}`);
  if (spec.overlap === 'queue' || spec.overlap === 'allow')
    timer.push(`# overlap: ${spec.overlap} is not mapped: systemd skips a time while the service still runs (overlap: skip).`);
  return renderUnit(
    [`${generator} from app "${spec.name}" (its schedule).`],
    [
      ['Unit', [`Description=${escapeSpecifiers(`${spec.name} schedule (exported from tend)`)}`]],
      ['Timer', timer],
      ['Install', ['WantedBy=timers.target']],
    ],
  );
}

/**
 * tend's restart policy in systemd terms. `max_restarts` unstable runs in a row (each shorter
 * than `min_uptime`) mark a tend app errored; systemd instead refuses more than StartLimitBurst
 * starts within StartLimitIntervalSec. A crash loop of runs just under min_uptime starts once
 * per (min_uptime + restart_delay), so that interval times the max_restarts starts tend allows
 * is the window; longer runs never fill it, as with tend.
 */
function restartLines(spec: AppSpec, unitLines: string[]): string[] {
  if (!spec.autorestart || spec.task === true) return ['Restart=no'];
  const lines = ['Restart=always', `RestartSec=${timeSpan(spec.restartDelayMs)}`];
  if (spec.stopExitCodes.length > 0) {
    // "Done, do not restart" in tend; SuccessExitStatus keeps the unit from counting it a failure.
    const codes = spec.stopExitCodes.join(' ');
    lines.push(`RestartPreventExitStatus=${codes}`, `SuccessExitStatus=${codes}`);
  }
  if (spec.expBackoffRestartDelayMs > 0) {
    lines.push(`# exp_backoff_restart_delay (${spec.expBackoffRestartDelayMs} ms) is not mapped: it needs RestartSteps= (systemd 254+).`);
  }
  const burst = Math.max(1, spec.maxRestarts);
  const windowSec = Math.max(1, Math.ceil((burst * (spec.minUptimeMs + spec.restartDelayMs)) / 1000));
  unitLines.push(`StartLimitIntervalSec=${windowSec}s`, `StartLimitBurst=${burst}`);
  return lines;
}
