import { existsSync } from 'node:fs';
import { TendError, isTendError, usageError } from '../../errors.js';
import { isDirectory } from '../../lib/ensure-dir.js';
import { inheritableEnv } from '../../config/env.js';
import { normalizeApp } from '../../config/normalize.js';
import type { AppSpec } from '../../protocol/app-spec.js';
import type { ProcessInfo } from '../../protocol/process-info.js';
import { findDefaultConfig } from '../../config/config-files.js';
import { applyFile, noteNoReady, type FileVerbFlags } from '../apply-file.js';
import { isConfigArg } from '../config-apps.js';
import { requireAppsForAll } from '../require-apps.js';
import { parseFlags, splitAtDashDash, type CliContext, type Command, type Options } from '../context.js';
import { FIELD_FLAGS, flagName, optionLines, schemaFlagRows } from '../flag-help.js';
import { looksLikeExtensionList } from '../habits.js';
import { renderProcessTable } from '../render/process-table.js';

/** Other tools' spellings that cannot be mistaken (PM2's, nodemon's): flag → the schema key it sets. */
const OTHER_TOOL_FLAGS: Record<string, { key: string; short?: string }> = {
  output: { key: 'out_file', short: 'o' },
  error: { key: 'error_file', short: 'e' },
  log: { key: 'log_file', short: 'l' },
  'node-args': { key: 'interpreter_args' },
  // nodemon
  ignore: { key: 'ignore_watch' },
  ext: { key: 'watch_ext' },
};

/** Flags of `start` (and `run`) that are not app settings, with their help lines. */
const OWN_FLAGS: readonly { head: string; text: string }[] = [
  { head: '--json', text: 'print the started processes as JSON' },
  { head: '--only a,b', text: 'with a config file: only these apps' },
  { head: '--formation F', text: 'with a Procfile: how many of each process type (web=2,worker=1)' },
  { head: '-o, --output F', text: 'stdout log file (same as --out-file)' },
  { head: '-e, --error F', text: 'stderr log file (same as --error-file)' },
  { head: '-l, --log F', text: 'both streams (same as --log-file)' },
  { head: '--node-args A', text: 'same as --interpreter-args' },
  { head: '-w', text: 'same as --watch (PM2, forever)' },
  { head: '--ignore P', text: 'same as --ignore-watch (nodemon)' },
  { head: '--ext L', text: 'same as --watch-ext (nodemon)' },
  { head: '-x, --execute-command', text: 'accepted for PM2 habits: tend always runs the script directly' },
  { head: '-f, --force', text: 'accepted with a warning: names are unique in tend' },
];

/** The option lines of `start --help` (and `run --help`): tend's own flags, then every app setting. */
export function startOptionHelp(): string {
  return optionLines([...OWN_FLAGS, ...schemaFlagRows({ n: 'name', i: 'instances' })]).join('\n');
}

export function flagOptions(): Options {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    json: { type: 'boolean' },
    only: { type: 'string' },
    formation: { type: 'string' },
    // PM2's -x (run the script directly rather than through its container: what tend always does)
    // and -f (start a second copy of a running script) are accepted; see the help.
    'execute-command': { type: 'boolean', short: 'x' },
    force: { type: 'boolean', short: 'f' },
  };
  for (const f of FIELD_FLAGS) {
    if (f.type === 'boolean') {
      options[flagName(f.key)] = { type: 'boolean' };
      options[`no-${flagName(f.key)}`] = { type: 'boolean' };
    } else options[flagName(f.key)] = { type: 'string', multiple: f.type === 'env' || f.type === 'string-list' || f.type === 'watch' };
  }
  const name = options.name;
  if (name !== undefined) name.short = 'n';
  for (const [flag, { key, short }] of Object.entries(OTHER_TOOL_FLAGS)) {
    const field = FIELD_FLAGS.find((f) => f.key === key);
    options[flag] = { type: 'string', multiple: field?.type === 'string-list', ...(short === undefined ? {} : { short }) };
  }
  return options;
}

export const start: Command = {
  get options() {
    return flagOptions();
  },
  help: `
Synopsis
  tend start <script.js|.mjs|.cjs> [options] [-- args...]
  tend start --interpreter python3 app.py [options] [-- args...]
  tend start [options] -- <command> [args...]
  tend start <name|id|all>                      start stopped apps again
  tend start [ecosystem.config.js|.json|.yaml|Procfile] [--env NAME] [--only a,b] [--formation web=2]
                                                start a config file's apps; running ones are restarted with
                                                the file's spec, as \`pm2 start <file>\` does (\`tend reload
                                                <file>\` without downtime for cluster apps; \`tend apply\`
                                                restarts only what changed). Default file: the
                                                ecosystem.config.*, tend.config.* or Procfile in this folder

Options (every app setting is a flag; \`tend help config\` says more of each)
${startOptionHelp()}

Exit codes
  0 started; 1 the daemon refused, or an app of a config file could not start (the others do);
  2 bad input (missing script, bad value); 3 daemon unreachable

Notes
  The app inherits this shell's environment, minus login-session variables (SSH_*, TERM, TMUX…).
  It runs in its own session: closing the terminal does not stop it.`,

  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { own, rest } = splitAtDashDash(argv);
    const { values, positionals } = parseFlags(watchFlagValues(shortInstances(own)), flagOptions(), 'start');
    if (positionals.length > 1)
      throw usageError(`unexpected argument \`${positionals[1]}\``, 'Pass script arguments after `--`: tend start app.js -- --port 8080');
    const first = positionals[0];
    const client = async () => ctx.client();

    const configFile = isConfigArg(first, ctx) ? first : first === undefined && rest === null ? findDefaultConfig(ctx.cwd) : undefined;
    if (configFile !== undefined) return applyFile(configFile, values as FileVerbFlags, ctx, 'start');
    if (first === undefined && (rest === null || rest.length === 0)) {
      throw usageError(
        'nothing to start',
        'Give a script (`tend start server.js`), a command after `--`, or a config file (`tend init` writes one).',
      );
    }
    const given = values as Record<string, unknown>;
    if (given.force === true) ctx.err('tend: warning: -f/--force is ignored: tend runs each name once; give a second copy its own --name');
    const raw = rawFromFlags(given);
    // PM2: `-i N` on the command line means cluster mode, even `-i 1`; with --listen or --proxy, those modes.
    if (raw.instances !== undefined && raw.exec_mode === undefined && raw.listen === undefined && raw.proxy === undefined)
      raw.exec_mode = 'cluster';
    if (first === undefined) {
      raw.script = rest?.[0];
      raw.args = rest?.slice(1) ?? [];
      if (raw.interpreter === undefined) raw.interpreter = 'none';
    } else {
      // PM2 runs `tend start "npm run start"` (a command with spaces) through a shell.
      const looksLikeFile =
        existsSync(first) ||
        /\s/.test(first.trim()) ||
        first.includes('/') ||
        /\.[A-Za-z0-9]+$/.test(first) ||
        raw.interpreter !== undefined ||
        rest !== null;
      if (!looksLikeFile) return startExisting(first, ctx, values.json === true);
      raw.script = first;
      if (rest !== null) raw.args = rest;
    }
    const spec = commandLineSpec(raw, first !== undefined, ctx);
    const result = await (await client()).call('process.start', { spec });
    print(result, ctx, values.json === true);
    return 0;
  },
};

/** The app settings given as flags, keyed by their config names (`--kill-timeout` → kill_timeout). */
/**
 * The app of `tend start <script>` and `tend run <script>`: `tend start app.js` is `pm2 start
 * app.js`, read by PM2's rules (`pm2`: SIGINT to stop it, PM2's variables); a command after `--`
 * follows tend's. Warnings go to stderr.
 */
export function commandLineSpec(raw: Record<string, unknown>, pm2: boolean, ctx: CliContext): AppSpec {
  const { spec, warnings } = normalizeApp(raw, { baseDir: ctx.cwd, env: inheritableEnv(ctx.env), source: 'command line', pm2 });
  for (const w of warnings) ctx.err(`tend: warning: ${w}`);
  return spec;
}

export function rawFromFlags(values: Record<string, unknown>): Record<string, unknown> {
  values = { ...values };
  for (const [flag, { key }] of Object.entries(OTHER_TOOL_FLAGS)) {
    const canonical = flagName(key);
    if (values[flag] !== undefined && values[canonical] === undefined) values[canonical] = values[flag];
  }
  const err = values['error-file'];
  if (typeof err === 'string' && looksLikeExtensionList(err)) {
    throw usageError(
      `\`-e ${err}\` looks like nodemon's list of extensions, not a log file`,
      `Watch only those files with \`--watch-ext ${err}\`; for an error log give a path (\`-e ./err.log\`).`,
    );
  }
  const raw: Record<string, unknown> = {};
  for (const f of FIELD_FLAGS) {
    const name = flagName(f.key);
    const v = values[name];
    if (v !== undefined) {
      if (f.type === 'env') raw[f.key] = parseEnvFlags(v as string[]);
      else if (f.type === 'string-list')
        raw[f.key] = (v as string[]).flatMap((x) => x.split(f.key === 'watch_ext' ? /[\s,]+/ : ' ').filter(Boolean));
      else raw[f.key] = v;
    }
    if (values[`no-${name}`] === true) raw[f.key] = false;
  }
  return raw;
}

/**
 * `--watch` takes an optional path, which parseArgs cannot express: `--watch` alone means the
 * cwd, `--watch DIR` a directory (only an existing directory is taken, so `--watch app.js` still
 * starts app.js), `--watch=PATH` any path.
 */
export function watchFlagValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // `-w` is PM2's and forever's short --watch.
    if (arg !== '--watch' && arg !== '-w') {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-') && isDirectory(next)) {
      out.push(`--watch=${next}`);
      i += 1;
    } else out.push('--watch=.');
  }
  return out;
}

/** PM2's `-i N` (also `-i -1`, `-iN`) is `--instances N`. */
export function shortInstances(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-i') {
      const v = argv[i + 1];
      if (v === undefined) throw usageError('`-i` needs a count', 'Example: tend start app.js -i 4 (or -i max, -i -1)');
      out.push(`--instances=${v}`);
      i += 1;
    } else if (/^-i.+/.test(a)) out.push(`--instances=${a.slice(2)}`);
    else out.push(a);
  }
  return out;
}

/** `--env K=V` (repeatable). */
function parseEnvFlags(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw usageError(
        `\`--env ${item}\` is not NAME=value`,
        'Example: --env PORT=8080 (a bare name like --env production picks an env_production block of a config file)',
      );
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

async function startExisting(target: string, ctx: CliContext, json: boolean): Promise<number> {
  let result: ProcessInfo[];
  try {
    result = await (await ctx.client()).call('process.startTarget', { target });
  } catch (err) {
    if (isTendError(err) && err.code === 'E_APP_NOT_FOUND') {
      throw new TendError('E_SCRIPT_NOT_FOUND', `no file and no app named \`${target}\``, {
        hint: 'Give the path of a script (./server.js), a command after `--`, or the name of an app from `tend list`.',
      });
    }
    throw err;
  }
  requireAppsForAll(result.length, [target], 'start');
  print(result, ctx, json);
  return 0;
}

function print(result: ProcessInfo[], ctx: CliContext, json: boolean): void {
  if (json) ctx.out(JSON.stringify(result));
  else ctx.out(renderProcessTable(result, ctx.isTTY));
  if (!json) noteNoReady(result, ctx);
}
