import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ensureDir } from '../lib/ensure-dir.js';
import { carryExtraCaCerts } from '../extra-ca.js';
import { packageFile } from '../lib/package-files.js';
import { TendError, isTendError } from '../errors.js';
import type { RpcClient } from '../rpc/client.js';
import type { TendPaths } from '../store/paths.js';
import { VERSION } from '../version.js';

const AGENT = `tend-cli ${VERSION}`;
const LAUNCH_TIMEOUT_MS = 15_000;

/** The socket client (and node:net) load on first use: `tend list` usually needs neither. */
async function rpcConnect(socket: string): Promise<RpcClient> {
  const { RpcClient: Client } = await import('../rpc/client.js');
  return Client.connect(socket, AGENT);
}

/** Nobody listens: a launch is needed (no socket, or a stale one). */
function isAbsent(err: unknown): boolean {
  const errno = isTendError(err) ? (err.details as { errno?: string } | undefined)?.errno : undefined;
  return errno === 'ENOENT' || errno === 'ECONNREFUSED';
}

/** Connects to the home's daemon, starting one if none runs. `notice` receives launch messages. */
export async function connectOrLaunch(paths: TendPaths, notice: (text: string) => void): Promise<RpcClient> {
  try {
    return await rpcConnect(paths.socket);
  } catch (err) {
    if (!isAbsent(err)) throw homeProblem(paths, err);
  }
  const outcome = await launchDaemon(paths, notice);
  // `already`: another CLI launched it a moment ago and it may still be binding its socket.
  const deadline = Date.now() + (outcome === 'already' ? 5000 : 0);
  for (;;) {
    try {
      return await rpcConnect(paths.socket);
    } catch (err) {
      if (!isAbsent(err) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Connects only if a daemon runs (for `tend kill`, which must not start one). */
export async function connectIfRunning(paths: TendPaths): Promise<RpcClient | null> {
  try {
    return await rpcConnect(paths.socket);
  } catch (err) {
    if (isAbsent(err)) return null;
    throw homeProblem(paths, err);
  }
}

function homeProblem(paths: TendPaths, err: unknown): TendError {
  const errno = isTendError(err) ? (err.details as { errno?: string } | undefined)?.errno : undefined;
  if (errno === 'ENOTDIR') return invalidHome(paths, 'is not a directory');
  if (errno === 'EACCES') return invalidHome(paths, 'is not accessible');
  return isTendError(err) ? err : new TendError('E_DAEMON_UNREACHABLE', String(err));
}

function invalidHome(paths: TendPaths, what: string): TendError {
  return new TendError('E_HOME_INVALID', `TEND_HOME ${paths.home} ${what}`, {
    hint: 'Point TEND_HOME at a writable directory (or unset it to use ~/.tend).',
  });
}

/** Creates the home (0700) and opens the daemon log; a home that is a file or unwritable is reported here. */
function prepareHome(paths: TendPaths): number {
  try {
    ensureDir(paths.home);
    return openSync(paths.daemonLog, 'a', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidHome(
      paths,
      code === 'ENOTDIR' || code === 'EEXIST' ? 'is a file, not a directory' : `cannot be written (${code ?? (err as Error).message})`,
    );
  }
}

/**
 * V8 flags for the daemon. Default `--lite-mode` (no JIT): measured on 20 apps, 44.8 MB RSS
 * instead of 50.4 MB, with the same raw-log throughput; per-line work (`--time`, json logs) costs
 * about 1.5 µs a line instead of 0.3. TEND_DAEMON_NODE_FLAGS overrides it ("" = full JIT).
 */
function daemonNodeFlags(): string[] {
  const fromEnv = process.env.TEND_DAEMON_NODE_FLAGS;
  // --no-expose-wasm: lite mode disables wasm anyway; saying so keeps V8's warning out of daemon.log.
  return (fromEnv ?? '--lite-mode --no-expose-wasm').split(/\s+/).filter(Boolean);
}

/**
 * Starts the daemon detached (its own session, stdin /dev/null, output to daemon.log) and waits
 * for it to say `ready` on a pipe (fd 3): no polling of the socket.
 */
async function launchDaemon(paths: TendPaths, notice: (text: string) => void): Promise<'ready' | 'already'> {
  const logFd = prepareHome(paths);
  // Loaded only here: most commands find a running daemon and never spawn anything.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...daemonNodeFlags(), packageFile(import.meta.url, 'daemon.cjs')], {
    detached: true,
    cwd: '/',
    stdio: ['ignore', logFd, logFd, 'pipe'],
    env: { ...carryExtraCaCerts(process.env), TEND_HOME: paths.home, TEND_DAEMON_READY_FD: '3' },
  });
  closeSync(logFd);
  const pipe = child.stdio[3] as Readable | null | undefined;
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipe?.destroy();
      child.unref();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new TendError('E_DAEMON_START_FAILED', `the daemon did not become ready within ${LAUNCH_TIMEOUT_MS / 1000} s`, {
              hint: `See ${paths.daemonLog}`,
            }),
          ),
        ),
      LAUNCH_TIMEOUT_MS,
    );
    pipe?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [word, ...rest] = line.split(' ');
        const text = rest.join(' ');
        if (word === 'notice') notice(text);
        else if (word === 'ready') finish(() => resolve('ready'));
        else if (word === 'already') finish(() => resolve('already'));
        else if (word === 'error') finish(() => reject(TendError.fromWire(JSON.parse(text))));
      }
    });
    // A daemon that lost the race for the home's lock says `already` and exits at once: its
    // last line may still be in the pipe when the exit is seen, so read the pipe to its end first.
    const exited = (code: number | null): void =>
      finish(() =>
        reject(
          new TendError('E_DAEMON_START_FAILED', `the daemon exited during start-up (code ${code})`, { hint: `See ${paths.daemonLog}` }),
        ),
      );
    child.on('exit', (code) => {
      if (pipe === null || pipe === undefined || pipe.readableEnded) exited(code);
      else pipe.once('end', () => exited(code)).once('close', () => exited(code));
    });
    child.on('error', (err) => finish(() => reject(new TendError('E_DAEMON_START_FAILED', `could not start the daemon: ${err.message}`))));
  });
}
