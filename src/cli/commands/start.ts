import { existsSync, statSync } from 'node:fs';
import { TendError, isTendError, usageError } from '../../errors.js';
import { inheritableEnv } from '../../config/env.js';
import { normalizeApp } from '../../config/normalize.js';
import { APP_FIELDS } from '../../config/schema.js';
import { READY_NEVER_CAME, type ProcessInfo } from '../../protocol/model.js';
import { findDefaultConfig } from '../../config/load.js';
import { isConfigArg, loadApps } from '../config-apps.js';
import { parseFlags, splitAtDashDash, type CliContext, type Command } from '../context.js';
import { renderProcessTable } from '../render/process-table.js';

/** CLI flags come from the schema: the PM2 key in kebab-case (`--max-restarts`, `--kill-timeout`). */
const FIELD_FLAGS = APP_FIELDS.filter((f) => f.cli === true);
const flagName = (key: string): string => key.replace(/_/g, '-');

/** PM2's CLI spellings: short and long flags → the schema key they set. */
const PM2_FLAGS: Record<string, { key: string; short?: string }> = {
  output: { key: 'out_file', short: 'o' },
  error: { key: 'error_file', short: 'e' },
  log: { key: 'log_file', short: 'l' },
  'node-args': { key: 'interpreter_args' },
};

export function flagOptions() {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    json: { type: 'boolean' }, only: { type: 'string' }, formation: { type: 'string' },
    // PM2's -x (run the script directly rather than through its container: what tend always does)
    // and -f (start a second copy of a running script) are accepted; see the help.
    'execute-command': { type: 'boolean', short: 'x' }, force: { type: 'boolean', short: 'f' },
  };
  for (const f of FIELD_FLAGS) {
    if (f.type === 'boolean') {
      options[flagName(f.key)] = { type: 'boolean' };
      options[`no-${flagName(f.key)}`] = { type: 'boolean' };
    } else options[flagName(f.key)] = { type: 'string', multiple: f.type === 'env' || f.type === 'string-list' || f.type === 'watch' };
  }
  const name = options.name;
  if (name !== undefined) name.short = 'n';
  for (const [flag, { key, short }] of Object.entries(PM2_FLAGS)) {
    const field = FIELD_FLAGS.find((f) => f.key === key);
    options[flag] = { type: 'string', multiple: field?.type === 'string-list', ...(short === undefined ? {} : { short }) };
  }
  return options;
}

export const start: Command = {
  help: `
Synopsis
  tend start <script.js|.mjs|.cjs> [options] [-- args...]
  tend start --interpreter python3 app.py [options] [-- args...]
  tend start [options] -- <command> [args...]
  tend start <name|id|all>                      start stopped apps again
  tend start [ecosystem.config.js|.json|.yaml|Procfile] [--env NAME] [--only a,b] [--formation web=2]
                                                start a config file's apps; running ones are restarted with
                                                the file's spec, as \`pm2 start <file>\` does (\`tend apply\`
                                                restarts only what changed). Default file: the
                                                ecosystem.config.*, tend.config.* or Procfile in this folder

Options (every app setting is a flag; see \`tend help config\` for all of them)
  -n, --name N          app name (default: the script's file name)
  --cwd DIR             working directory
  --env K=V             add an environment variable (repeatable)
  --interpreter P       node (default for .js), python3, bash, … or none
  --shell               run the command through /bin/sh -c
  --no-autorestart      do not restart when it exits
  --stop-exit-codes L   exit codes that mean "done" (e.g. 0,143)
  --restart-delay D     delay before each restart (1500, 1.5s, 2m)
  --exp-backoff-restart-delay D   exponential backoff base for crash loops
  --max-restarts N      unstable restarts before "errored" (default 16)
  --min-uptime D        a shorter run counts as unstable (default 1s)
  --kill-signal S       stop signal (default SIGINT, as PM2; SIGTERM for a command after --)
  --kill-timeout D      grace period before SIGKILL (default 5s)
  --wait-ready          launching until the app calls process.send('ready')
  --listen-timeout D    how long a new process may take to be ready (default 3s)
  -i, --instances N     cluster mode: N processes sharing the app's ports (max or 0 = one per CPU,
                        -1 = CPUs minus one); \`tend reload\` replaces them without dropping a request
  --listen ADDR         socket activation, any language: tend opens ADDR (8080, 127.0.0.1:8080,
                        unix:/path) once and passes it as fd 3 (LISTEN_FDS); repeatable
  --instance-var NAME   variable holding the instance number (default NODE_APP_INSTANCE)
  --increment-var NAME  a numeric variable incremented per instance (e.g. PORT)
  --watch [DIR]         restart when files change (repeatable; no DIR = the cwd; --watch=FILE for a file)
  --ignore-watch P      names, globs or paths not to watch (node_modules, .git and logs never are)
  --watch-delay D       quiet period before the restart (default 300ms)
  --watch-ext L         only these extensions restart (js,json)
  --pty                 run on a pseudo-terminal you can \`tend attach\` to
  --max-memory-restart S   restart when the app's whole tree uses more memory (200M)
  --cron-restart P      restart on a cron pattern ('0 3 * * *')
  --health CHECK        health check: http://127.0.0.1:3000/health, tcp:3000 or 'exec:CMD'
  -o, --output F        stdout log file (--out-file); -e, --error F: stderr (--error-file);
  -l, --log F           both streams (--log-file); --node-args A: --interpreter-args
  -x                    accepted for PM2 habits: tend always runs the script directly
  -f, --force           accepted with a warning: names are unique in tend
  --json                print the started processes as JSON

Exit codes
  0 started; 1 the daemon refused, or an app of a config file could not start (the others do);
  2 bad input (missing script, bad value); 3 daemon unreachable

Notes
  The app inherits this shell's environment, minus login-session variables (SSH_*, TERM, TMUX…).
  It runs in its own session: closing the terminal does not stop it.`,

  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { own, rest } = splitAtDashDash(argv);
    const { values, positionals } = parseFlags(watchFlagValues(shortInstances(own)), flagOptions(), 'start');
    if (positionals.length > 1) throw usageError(`unexpected argument \`${positionals[1]}\``, 'Pass script arguments after `--`: tend start app.js -- --port 8080');
    const first = positionals[0];
    const client = async () => ctx.client();

    const configFile = isConfigArg(first, ctx) ? first : first === undefined && rest === null ? findDefaultConfig(ctx.cwd) : undefined;
    if (configFile !== undefined) return startConfig(configFile, values as StartValues, ctx, true);
    if (first === undefined && (rest === null || rest.length === 0)) {
      throw usageError('nothing to start', 'Give a script (`tend start server.js`), a command after `--`, or a config file (`tend init` writes one).');
    }
    const given = values as Record<string, unknown>;
    for (const [flag, { key }] of Object.entries(PM2_FLAGS)) {
      const canonical = flagName(key);
      if (given[flag] !== undefined && given[canonical] === undefined) given[canonical] = given[flag];
    }
    if (given.force === true) ctx.err('tend: warning: -f/--force is ignored: tend runs each name once; give a second copy its own --name');
    const raw = rawFromFlags(given);
    // PM2: `-i N` on the command line means cluster mode, even `-i 1`; with --listen, sockets mode.
    if (raw.instances !== undefined && raw.exec_mode === undefined && raw.listen === undefined) raw.exec_mode = 'cluster';
    if (first === undefined) {
      raw.script = rest?.[0];
      raw.args = rest?.slice(1) ?? [];
      if (raw.interpreter === undefined) raw.interpreter = 'none';
    } else {
      const looksLikeFile = existsSync(first) || first.includes('/') || /\.[A-Za-z0-9]+$/.test(first) || raw.interpreter !== undefined || rest !== null;
      if (!looksLikeFile) return startExisting(first, ctx, values.json === true);
      raw.script = first;
      if (rest !== null) raw.args = rest;
    }
    // `tend start app.js` is `pm2 start app.js`: PM2's rules; a command after `--` follows tend's.
    const { spec, warnings } = normalizeApp(raw, { baseDir: ctx.cwd, env: inheritableEnv(ctx.env), source: 'command line', pm2: first !== undefined });
    for (const w of warnings) ctx.err(`tend: warning: ${w}`);
    const result = await (await client()).call('process.start', { spec });
    print(result, ctx, values.json === true);
    return 0;
  },
};

interface StartValues {
  env?: string[];
  only?: string;
  formation?: string;
  port?: string;
  json?: boolean;
}

/**
 * Starts every app of a config file and prints what happened to each. With `restart` (start,
 * restart, startOrRestart: PM2's meaning) running apps are restarted with the file's spec;
 * without it (`tend apply`) a running app whose spec did not change is left alone; with `reload`
 * (tend reload <file>, startOrReload) a running cluster app takes the new spec by a rolling reload. Apps whose
 * script or interpreter is missing fail alone, as in PM2, and make the exit code 1.
 */
export async function startConfig(file: string, values: StartValues, ctx: CliContext, restart: boolean, reload = false): Promise<number> {
  const loaded = await loadApps(file, values, ctx);
  // One connection, requests sent in file order: ids follow the file, as in PM2.
  const client = loaded.apps.length === 0 ? null : await ctx.client();
  const results = client === null ? [] : await Promise.all(loaded.apps.map((spec) => client.call('process.apply', reload ? { spec, restart, reload } : { spec, restart })));
  if (values.json === true) {
    const failed = loaded.failed.map((f) => ({ name: f.name, action: 'failed', error: f.message }));
    ctx.out(JSON.stringify([...results.map((r) => ({ ...r.process, action: r.action })), ...failed]));
  } else {
    if (results.length > 0) {
      ctx.out(renderProcessTable(results.map((r) => r.process), ctx.isTTY));
      ctx.out(results.map((r) => `${r.process.name}: ${r.action}`).join(', '));
      noteNoReady(results.map((r) => r.process), ctx);
    }
  }
  // On stderr in both modes: --json output stays parseable and the reason is still seen.
  for (const f of loaded.failed) ctx.err(`tend: ${f.name} not started: ${f.message}`);
  return loaded.failed.length > 0 ? 1 : 0;
}

/** The app settings given as flags, keyed by their config names (`--kill-timeout` → kill_timeout). */
export function rawFromFlags(values: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const f of FIELD_FLAGS) {
    const name = flagName(f.key);
    const v = values[name];
    if (v !== undefined) {
      if (f.type === 'env') raw[f.key] = parseEnvFlags(v as string[]);
      else if (f.type === 'string-list') raw[f.key] = (v as string[]).flatMap((x) => x.split(f.key === 'watch_ext' ? /[\s,]+/ : ' ').filter(Boolean));
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
    if (arg !== '--watch') {
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
function shortInstances(argv: string[]): string[] {
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `--env K=V` (repeatable). */
function parseEnvFlags(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usageError(`\`--env ${item}\` is not NAME=value`, 'Example: --env PORT=8080 (a bare name like --env production picks an env_production block of a config file)');
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

async function startExisting(target: string, ctx: CliContext, json: boolean): Promise<number> {
  try {
    const result = await (await ctx.client()).call('process.startTarget', { target });
    print(result, ctx, json);
    return 0;
  } catch (err) {
    if (isTendError(err) && err.code === 'E_APP_NOT_FOUND') {
      throw new TendError('E_SCRIPT_NOT_FOUND', `no file and no app named \`${target}\``, {
        hint: 'Give the path of a script (./server.js), a command after `--`, or the name of an app from `tend list`.',
      });
    }
    throw err;
  }
}

function print(result: ProcessInfo[], ctx: CliContext, json: boolean): void {
  if (json) ctx.out(JSON.stringify(result));
  else ctx.out(renderProcessTable(result, ctx.isTTY));
  if (!json) noteNoReady(result, ctx);
}

/** `--wait-ready` apps that are online only because listen_timeout passed: say so. */
export function noteNoReady(result: ProcessInfo[], ctx: CliContext): void {
  for (const p of result) {
    if (p.status === 'online' && p.reason?.startsWith(READY_NEVER_CAME) === true) ctx.err(`tend: note: ${p.name}: ${p.reason}; it is considered online anyway`);
  }
}
