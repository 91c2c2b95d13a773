import '../lib/no-debug-signal.js';
import { ExitCode, TendError, isTendError } from '../errors.js';
import type { RpcClient } from '../rpc/client.js';
import { checkHomeSafe } from '../store/home-check.js';
import { resolveHome, tendPaths } from '../store/paths.js';
import { suggest } from '../lib/suggest.js';
import { VERSION } from '../version.js';
import { connectIfRunning, connectOrLaunch } from '../client/connect.js';
import type { CliContext } from './context.js';
import { ALIASES, COMMANDS, REWRITES } from './command-table.js';
import { isTerminal, writeOut } from './write-out.js';
import { restoreExtraCaCerts } from '../extra-ca.js';

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
    throw new TendError('E_USAGE', `unknown command \`${first}\`${guess === undefined ? '' : `; did you mean \`${guess}\`?`}`, {
      hint: 'Run `tend --help` for the list of commands.',
    });
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
    // What the completion scripts ask on TAB (see commands/completion-candidates.ts).
    if (verb === 'completion' && rest[0] === '--complete') {
      const { printCompletions } = await import('./commands/completion-candidates.js');
      return await printCompletions(rest[1] === '--' ? rest.slice(2) : rest.slice(1), ctx);
    }
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

// bin/tend's shebang carries NODE_EXTRA_CA_CERTS aside (see src/extra-ca.ts): back before anything reads the environment.
restoreExtraCaCerts();
runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = reportError(err);
  },
);
