import { buildWatchSpec } from '../../config/watch-spec.js';
import { findDefaultConfig } from '../../config/config-files.js';
import { fieldDefault } from '../../config/schema.js';
import { usageError } from '../../errors.js';
import { runForeground } from '../../foreground/runner.js';
import type { AppSpec } from '../../protocol/app-spec.js';
import { isConfigArg, loadApps } from '../config-apps.js';
import { parseFlags, splitAtDashDash, type CliContext, type Command, type Options } from '../context.js';
import { isTerminal } from '../write-out.js';
import { commandLineSpec, flagOptions, rawFromFlags, startOptionHelp, watchFlagValues } from './start.js';

const runOptions = (): Options => ({ ...flagOptions(), 'log-format': { type: 'string' }, 'no-color': { type: 'boolean' } });

export const run: Command = {
  get options() {
    return runOptions();
  },
  help: `
Synopsis
  tend run <script.js> [options] [-- args...]      one app, in the foreground
  tend run [options] -- <command> [args...]
  tend run [ecosystem.config.js|Procfile|...] [--watch] [--only a,b] [--env NAME]

Runs the apps in this terminal, without a daemon, under the same supervisor: restarts on crash with
the same policy, output of each app prefixed with its coloured name. Type rs + Enter to restart
every app. Ctrl-C or SIGTERM stops every app gracefully (kill_signal, kill_timeout, whole tree).
As a container's entry point (CMD ["tend", "run", "ecosystem.config.js"]) it reaps orphaned
processes, passes SIGHUP/SIGUSR1/SIGUSR2 on to the apps and stops them on SIGTERM/SIGINT.

Options
  --log-format F        text (default) or json: one JSON object per line (time, app, stream, message)
  --no-color            plain prefixes (also NO_COLOR=1, and when stdout is not a terminal)
  and every option of \`tend start\` (with a config file, --watch applies to the apps that do not
  set watch themselves):
${startOptionHelp()}

Exit codes
  0 every app stopped cleanly (or was still within its restart policy when stopped);
  1 an app reached errored; 2 bad usage or input`,

  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { own, rest } = splitAtDashDash(argv);
    const { values, positionals } = parseFlags(watchFlagValues(own), runOptions(), 'run');
    if (positionals.length > 1)
      throw usageError(`unexpected argument \`${positionals[1]}\``, 'Pass script arguments after `--`: tend run app.js -- --port 8080');
    const format = values['log-format'] ?? 'text';
    if (format !== 'text' && format !== 'json')
      throw usageError(`\`--log-format ${format}\` is not a log format`, 'Use --log-format text or --log-format json.');
    const first = positionals[0];
    const configFile = isConfigArg(first, ctx) ? first : first === undefined && rest === null ? findDefaultConfig(ctx.cwd) : undefined;
    const given = values as Record<string, unknown>;
    let specs: AppSpec[];
    if (configFile !== undefined) {
      specs = (await loadApps(configFile, given as { env?: string[]; only?: string; formation?: string; port?: string }, ctx)).apps;
      const watch = given.watch as string[] | undefined;
      if (watch !== undefined) for (const s of specs) if (s.watch === undefined) addWatch(s, watch, ctx);
    } else {
      if (first === undefined && (rest === null || rest.length === 0)) {
        throw usageError('nothing to run', 'Give a script (`tend run server.js`), a command after `--`, or a config file.');
      }
      const raw = rawFromFlags(given);
      if (first === undefined) {
        raw.script = rest?.[0];
        raw.args = rest?.slice(1) ?? [];
        if (raw.interpreter === undefined) raw.interpreter = 'none';
      } else {
        raw.script = first;
        if (rest !== null) raw.args = rest;
      }
      // The same rules as `tend start`.
      specs = [commandLineSpec(raw, first !== undefined, ctx)];
    }
    if (specs.length === 0) throw usageError('the config file has no apps to run', 'Add an app, or check --only.');
    const color = format === 'text' && given['no-color'] !== true && ctx.env.NO_COLOR === undefined && isTerminal(1);
    const code = await runForeground({ specs, json: format === 'json', color, write: (text) => process.stdout.write(text) });
    // Nothing of the apps is left; leave even if a stray handle (a paused terminal) would keep Node up.
    process.stdout.write('', () => process.exit(code));
    return code;
  },
};

function addWatch(spec: AppSpec, paths: string[], ctx: CliContext): void {
  const warnings: string[] = [];
  const watch = buildWatchSpec(
    { watch: paths, ignore: [], delayMs: fieldDefault('watch_delay') as number, extensions: [], options: undefined },
    spec.cwd,
    'command line',
    warnings,
  );
  if (watch !== undefined) spec.watch = watch;
  for (const w of warnings) ctx.err(`tend: warning: ${w}`);
}
