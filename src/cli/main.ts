import { ExitCode, TendError, isTendError } from '../errors.js';
import type { RpcClient } from '../rpc/client.js';
import { checkHomeSafe } from '../store/home-check.js';
import { resolveHome, tendPaths } from '../store/paths.js';
import { suggest } from '../lib/suggest.js';
import { VERSION } from '../version.js';
import { connectIfRunning, connectOrLaunch } from '../client/connect.js';
import type { CliContext, Command } from './context.js';
import { isTerminal, writeOut } from './write-out.js';

/** Verb → lazily imported module, so `tend list` loads only what listing needs. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: { summary: 'start a script, a command, a config file\'s apps, or a stopped app', load: async () => (await import('./commands/start.js')).start },
  apply: { summary: 'make a config file\'s apps run as it says, restarting only what changed', load: async () => (await import('./commands/apply.js')).apply },
  stop: { summary: 'stop apps (signal, grace period, SIGKILL)', load: async () => (await import('./commands/target-action.js')).stop },
  restart: { summary: 'restart apps (stop, then start)', load: async () => (await import('./commands/target-action.js')).restart },
  reload: { summary: 'replace apps\' processes without dropping a request (cluster, --listen)', load: async () => (await import('./commands/reload.js')).reload },
  scale: { summary: 'set how many instances of an app run, live', load: async () => (await import('./commands/scale.js')).scale },
  delete: { summary: 'stop apps and forget them', load: async () => (await import('./commands/target-action.js')).remove },
  list: { summary: 'list apps (--json for scripts)', load: async () => (await import('./commands/list.js')).list },
  describe: { summary: 'everything about one app', load: async () => (await import('./commands/describe.js')).describe },
  env: { summary: 'the environment an app runs with', load: async () => (await import('./commands/env.js')).env },
  reset: { summary: 'set restart counters back to zero', load: async () => (await import('./commands/reset.js')).reset },
  logs: { summary: 'show and follow app logs', load: async () => (await import('./commands/logs.js')).logs },
  events: { summary: 'print every change of app state as it happens (--json)', load: async () => (await import('./commands/events.js')).events },
  monit: { summary: 'full-screen terminal dashboard: CPU, memory, sparklines, logs, keys', load: async () => (await import('./commands/monit.js')).monit },
  web: { summary: 'serve the web dashboard, JSON API and Prometheus /metrics (port 9615)', load: async () => (await import('./commands/web.js')).web },
  init: { summary: 'write a commented example ecosystem.config.cjs', load: async () => (await import('./commands/init.js')).init },
  flush: { summary: 'empty log files safely', load: async () => (await import('./commands/flush.js')).flush },
  signal: { summary: 'send a signal to apps', load: async () => (await import('./commands/signal.js')).signal },
  send: { summary: 'write a line to an app\'s stdin', load: async () => (await import('./commands/send.js')).send },
  attach: { summary: 'connect this terminal to an app started with --pty', load: async () => (await import('./commands/attach.js')).attach },
  run: { summary: 'run apps in the foreground, no daemon (dev, containers: PID 1)', load: async () => (await import('./commands/run.js')).run },
  ping: { summary: 'start the daemon if needed and show it', load: async () => (await import('./commands/ping.js')).ping },
  kill: { summary: 'stop every app and the daemon', load: async () => (await import('./commands/kill.js')).kill },
  save: { summary: 'save the running set for resurrect and boot', load: async () => (await import('./commands/save.js')).save },
  resurrect: { summary: 'start the saved set again', load: async () => (await import('./commands/resurrect.js')).resurrect },
  startup: { summary: 'start tend and the saved apps at boot (systemd)', load: async () => (await import('./commands/startup.js')).startup },
  unstartup: { summary: 'remove the boot unit', load: async () => (await import('./commands/unstartup.js')).unstartup },
  export: { summary: 'export apps as systemd units, Kubernetes objects or a Compose file', load: async () => (await import('./commands/export.js')).exportCommand },
  daemon: { summary: 'daemon restart|stop|status|run (restart leaves apps running)', load: async () => (await import('./commands/daemon.js')).daemon },
};
const ALIASES: Record<string, string> = {
  ls: 'list', del: 'delete', rm: 'delete', show: 'describe', info: 'describe', desc: 'describe', status: 'list', l: 'list', ps: 'list',
  // PM2 verbs with another name in tend.
  dump: 'save', sendSignal: 'signal',
  // PM2's deploy verbs: start the file's missing apps and restart the running ones (`start <file>`).
  startOrRestart: 'start',
  // `reload <file>`: start what is not running, reload the rest with the file's spec.
  startOrReload: 'reload', startOrGracefulReload: 'reload', gracefulReload: 'reload',
};

const REWRITES: Record<string, string[]> = {
  jlist: ['list', '--json'],
  prettylist: ['list', '--json', '--pretty'],
  // PM2's `update` reloads its daemon in place: tend's daemon restart keeps every app running.
  update: ['daemon', 'restart'],
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    `tend ${VERSION} — keeps web apps and any long-running command running`,
    '',
    'Usage: tend <command> [options]      tend <command> --help      tend help config',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'PM2 names: startOrRestart = start <file>; startOrReload = reload <file>; jlist, prettylist, ps = list;',
    '  dump = save; sendSignal = signal; update = daemon restart; desc = describe.',
    '',
    'Environment: TEND_HOME (default ~/.tend) holds the daemon socket, state and logs.',
    'Exit codes: 0 ok, 1 operation failed, 2 bad usage or input, 3 daemon unreachable.',
  ].join('\n');
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'help' && rest[0] === 'config') {
    const { helpConfig } = await import('./commands/help-config.js');
    return helpConfig.run([], undefined as never);
  }
  if (first === 'help' && rest[0] !== undefined) return runCli([rest[0], '--help'], env);
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    writeOut(1, `${mainHelp()}\n`);
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    writeOut(1, `${VERSION}\n`);
    return ExitCode.ok;
  }
  // PM2 verbs that are a tend command with flags.
  const rewrite = REWRITES[first];
  if (rewrite !== undefined) return runCli([...rewrite, ...rest], env);
  const verb = ALIASES[first] ?? first;
  const entry = COMMANDS[verb];
  if (entry === undefined) {
    const guess = suggest(first, [...Object.keys(COMMANDS), ...Object.keys(ALIASES), ...Object.keys(REWRITES)]);
    throw new TendError('E_USAGE', `unknown command \`${first}\`${guess === undefined ? '' : `; did you mean \`${guess}\`?`}`, { hint: 'Run `tend --help` for the list of commands.' });
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    writeOut(1, `${command.help.trim()}\n`);
    return ExitCode.ok;
  }
  const paths = tendPaths(resolveHome(env));
  // ssh-style: a home another user owns or can write is refused before anything reads it.
  if (verb !== 'init') checkHomeSafe(paths.home);
  // The promise is cached, not the client: concurrent callers (one `process.apply` per app of a
  // file) share one connection instead of each launching a daemon.
  let client: Promise<RpcClient> | null = null;
  const opened: RpcClient[] = [];
  const track = (c: RpcClient | null): RpcClient | null => {
    if (c !== null) opened.push(c);
    return c;
  };
  const ctx: CliContext = {
    paths,
    env,
    cwd: process.cwd(),
    isTTY: isTerminal(1) && env.NO_COLOR === undefined,
    out: (text) => writeOut(1, text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => writeOut(2, text.endsWith('\n') ? text : `${text}\n`),
    client: () => (client ??= connectOrLaunch(paths, (n) => writeOut(2, `tend: ${n}\n`)).then((c) => track(c) as RpcClient)),
    // Not cached: `daemon restart` asks, shuts that daemon down, then connects to a new one.
    clientIfRunning: async () => track(await connectIfRunning(paths)),
  };
  try {
    return await command.run(rest, ctx);
  } finally {
    for (const c of opened) c.close();
  }
}

/** Prints an error as one line: what was wrong, then what to do. */
export function reportError(err: unknown): number {
  if (isTendError(err)) {
    writeOut(2, `tend: ${err.message}${err.hint ? ` — ${err.hint}` : ''}\n`);
    return err.exitCode;
  }
  writeOut(2, `tend: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return ExitCode.failed;
}

runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.exitCode = reportError(err); },
);
