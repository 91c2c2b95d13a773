import '../lib/no-debug-signal.js';
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { IPty } from '@lydell/node-pty';
import { PTY_PROTOCOL_VERSION } from '../protocol/pty.js';
import { AttachServer } from './attach-server.js';
import { parseHolderConfig } from './holder-config.js';
import { Screen } from './screen.js';
import { AnsiStripper } from '../lib/strip-ansi.js';
import { restoreExtraCaCerts } from '../extra-ca.js';

const require = createRequire(import.meta.url);

/** Signals a holder passes on to the app (stop, reload, user signals). */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/**
 * The PTY holder: the process the supervisor sees as the app. It runs the real app on a
 * pseudo-terminal it owns, keeps the screen, serves `tend attach` clients on its socket, copies
 * the output (ANSI stripped unless asked) to its stdout, which is the app's log pipe, and types
 * what arrives on its stdin (`tend send`) into the terminal. It exits as the app exits, with its
 * code (or its signal), so restart policies see the app's own exit.
 */
async function main(): Promise<void> {
  // Started with NODE_EXTRA_CA_CERTS carried aside (see extra-ca.ts): back for the app.
  restoreExtraCaCerts();
  const config = parseHolderConfig(process.argv[2]);
  const { spawn } = require('@lydell/node-pty') as typeof import('@lydell/node-pty');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.TERM = 'xterm-256color';
  env.COLORTERM ??= 'truecolor';
  let cols = 80;
  let rows = 24;
  let app: IPty;
  try {
    app = spawn(config.file, config.args, { name: 'xterm-256color', cols, rows, cwd: config.cwd, env });
  } catch (err) {
    process.stderr.write(`tend pty: cannot start ${config.file}: ${(err as Error).message}\n`);
    process.exit(127);
  }
  const screen = new Screen(cols, rows);
  const strip = new AnsiStripper();
  const resize = (c: number, r: number): void => {
    if (c === cols && r === rows) return;
    cols = c;
    rows = r;
    try {
      app.resize(c, r);
    } catch {
      /* the app is exiting */
    }
    screen.resize(c, r);
  };
  const server = new AttachServer(config.socket, {
    greet: async (c, r) => {
      resize(c, r);
      const data = await screen.snapshot();
      return [
        { t: 'hello', protocol: PTY_PROTOCOL_VERSION, pid: process.pid, appPid: app.pid, name: config.name },
        { t: 'screen', data },
      ];
    },
    input: (data) => app.write(data),
    resize,
  });
  await server.listen();

  app.onData((data) => {
    screen.write(data);
    server.broadcast({ t: 'out', data });
    const text = config.logAnsi ? data.replace(/\r+\n/g, '\n') : strip.push(data);
    if (text.length > 0) writeLog(text);
  });
  // `tend send` writes lines to our stdin: type them, Enter being CR on a terminal.
  process.stdin.on('data', (chunk: Buffer) => app.write(chunk.toString('utf8').replace(/\r?\n/g, '\r')));
  process.stdin.on('error', () => undefined);
  for (const sig of FORWARDED) {
    process.on(sig, () => {
      try {
        process.kill(-app.pid, sig);
      } catch {
        try {
          process.kill(app.pid, sig);
        } catch {
          /* already gone */
        }
      }
    });
  }
  app.onExit(({ exitCode, signal }) => {
    const name = signal ? (SIGNAL_NAMES.get(signal) ?? null) : null;
    server.broadcast({ t: 'exit', code: name === null ? exitCode : null, signal: name });
    server.close();
    process.stdin.destroy();
    if (name === null) process.exit(exitCode);
    // Die of the same signal, so the supervisor records the app's own exit.
    for (const sig of FORWARDED) process.removeAllListeners(sig);
    process.kill(process.pid, name as NodeJS.Signals);
    setTimeout(() => process.exit(128 + (signal ?? 0)), 100).unref();
  });
}

function writeLog(text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return; // log pipe gone: the terminal and attachers still work
    }
  }
}

main().catch((err: Error) => {
  process.stderr.write(`tend pty: ${err.message}\n`);
  process.exit(1);
});
