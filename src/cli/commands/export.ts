import { resolve } from 'node:path';
import { TendError, usageError } from '../../errors.js';
import { findExecutable } from '../../lib/which.js';
import type { AppSpec } from '../../protocol/app-spec.js';
import { VERSION } from '../../version.js';
import { writeAppUnits } from '../../exporters/write-app-units.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { CONTAINER_HELP, CONTAINER_OPTIONS, exportContainers } from '../export-containers.js';

const EXPORT_OPTIONS = {
  out: { type: 'string' },
  user: { type: 'string' },
  rootless: { type: 'boolean' },
  json: { type: 'boolean' },
} satisfies Options;

export const exportCommand: Command = {
  // systemd's flags, and kubernetes' and compose's (parsed by exportContainers).
  options: { ...EXPORT_OPTIONS, ...CONTAINER_OPTIONS },
  help: `
Synopsis
  tend export systemd [name|id|namespace|all] [--out DIR] [--user NAME] [--rootless] [--json]${CONTAINER_HELP.split('\n\nOptions')[0]}

Options (systemd)
  --out DIR    where to write the units (default: the current directory)
  --user NAME  add User=NAME to each unit (system units)
  --rootless   units for \`systemctl --user\` (WantedBy=default.target, no User=)
  --json       print {dir, units: [{app, unit, file, envFile}], notices}

Exit codes
  0 written; 1 failed (or no such app); 2 bad usage; 3 daemon unreachable

Notes (systemd)
  One <app>.service per app, for handing apps to systemd instead of tend: ExecStart from the
  spec (node = the Node.js running this command, other programs resolved through the app's
  PATH now), WorkingDirectory, the app's environment as Environment= lines, secret-looking
  variables (TOKEN, SECRET, PASSWORD, KEY, …) in <app>.env (mode 0600) via EnvironmentFile=,
  Restart= from autorestart, RestartSec= from restart_delay, RestartPreventExitStatus= and
  SuccessExitStatus= from stop_exit_codes, StartLimitBurst/IntervalSec from max_restarts and
  min_uptime, KillSignal= and TimeoutStopSec= from kill_signal and kill_timeout, output to the
  journal. Not mapped (said in a comment): wait_ready, exp_backoff_restart_delay, log files.
  Install: cp DIR/*.service /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now <app>
  (the EnvironmentFile= path points into DIR: keep the .env files there, or edit the path).

Options${CONTAINER_HELP.split('\n\nOptions')[1]}`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    if (argv[0] === 'kubernetes' || argv[0] === 'compose') return exportContainers(argv[0], argv.slice(1), ctx);
    const { values, positionals } = parseFlags(argv, EXPORT_OPTIONS, 'export');
    const [format, target, ...extra] = positionals;
    if (format !== 'systemd')
      throw usageError(
        format === undefined ? '`tend export` needs a format' : `unknown export format \`${format}\``,
        'Formats: systemd, kubernetes, compose. Example: tend export systemd --out ./units',
      );
    if (extra.length > 0) throw usageError('`tend export systemd` takes one target', 'Example: tend export systemd api (or all)');
    if (values.user !== undefined && values.rootless === true)
      throw usageError('--user and --rootless do not go together', 'User= has no meaning in a `systemctl --user` unit.');
    const client = await ctx.client();
    if ((await client.call('process.list', {})).length === 0) {
      throw new TendError('E_APP_NOT_FOUND', 'no apps to export', { hint: 'Start your apps with tend first, then export them.' });
    }
    const details = await client.call('process.describe', { target: target ?? 'all', showSecrets: true });
    const specs = new Map<string, AppSpec>();
    // A job's run alongside (overlap: allow) is the job's, not an app to hand over.
    for (const d of details) if (d.spec.runOf === undefined) specs.set(d.spec.name, d.spec);
    const result = writeAppUnits([...specs.values()], {
      dir: resolve(ctx.cwd, values.out ?? '.'),
      user: values.user ?? null,
      rootless: values.rootless === true,
      generator: `Written by \`tend export systemd\` (tend ${VERSION})`,
      resolveProgram: (name, spec) => resolveProgram(name, spec),
    });
    if (values.json === true) ctx.out(JSON.stringify(result));
    else {
      for (const u of result.units)
        ctx.out(
          `wrote ${u.file}${u.envFile !== null ? ` and ${u.envFile} (0600, secrets)` : ''}${u.timer !== undefined ? ` and ${u.timer} (enable the timer, not the service)` : ''}`,
        );
      for (const n of result.notices) ctx.out(`  note: ${n}`);
    }
    return 0;
  },
};

/** `node` is the Node.js running tend (as the daemon uses); any other program is found through the app's PATH. */
function resolveProgram(name: string, spec: AppSpec): string {
  if (name === 'node') return process.execPath;
  const found = findExecutable(name, spec.env.PATH, spec.cwd);
  if (found === undefined) {
    throw new TendError('E_INTERPRETER_NOT_FOUND', `\`${name}\` (the program of app ${spec.name}) is not on the app's PATH`, {
      hint: 'A systemd unit needs an absolute program path: install it, or start the app with an absolute --interpreter or script path.',
    });
  }
  return found;
}
