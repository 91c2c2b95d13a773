import { spawn, spawnSync } from 'node:child_process';
import { alternate, type Context, type Recorder } from './scenario.js';
import { withSession, type Session, type ToolName } from './session.js';

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  rps: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses. */
  failed: number;
  connectErrors: number;
  detail: string;
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Debian's wrk: installed by the bench when missing (as root with apt-get), else null with the reason. */
export function ensureWrk(): string | null {
  if (hasWrk()) return null;
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error === undefined) {
    console.log('installing wrk (Debian package) for the HTTP scenarios…');
    spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 300_000,
    });
    if (hasWrk()) return null;
  }
  return 'wrk is not installed (apt-get install wrk)';
}

/** For scenarios that need wrk: true (with the reason noted and every tool marked failed) when it is missing. */
export function wrkMissing(ctx: Context, rec: Recorder): boolean {
  const why = ensureWrk();
  if (why === null) return false;
  rec.note(why);
  for (const t of ctx.tools) rec.errors[t.name] = why;
  return true;
}

/**
 * Runs wrk against a loopback URL for `seconds` with `connections` keep-alive connections on one
 * thread (`extra`: more wrk arguments, e.g. `-H 'Connection: close'`); resolves when it ends.
 * Bounded by its own duration (plus a kill timer).
 */
export function runWrk(url: string, seconds: number, connections = 16, extra: readonly string[] = []): Promise<WrkResult> {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`wrk only targets 127.0.0.1, got ${url}`);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', ...extra, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
      const requests = num(/(\d+) requests in/);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errs = socket === null ? [0, 0, 0, 0] : socket.slice(1).map(Number);
      const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
      if (requests === 0 && socket === null) {
        // wrk gives up at once when nothing listens: every connection was refused.
        if (/unable to connect|Connection refused/.test(out)) {
          resolve({
            requests: 0,
            rps: 0,
            failed: connections,
            connectErrors: connections,
            detail: 'nothing listening: every connection refused',
          });
        } else reject(new Error(`wrk produced no result: ${out.trim().slice(0, 300)}`));
        return;
      }
      resolve({
        requests,
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
        failed: errs.reduce((a, b) => a + (b ?? 0), 0) + non2xx,
        connectErrors: errs[0] ?? 0,
        detail: `${socket?.[0] ?? 'no socket errors'}; non-2xx ${non2xx}`,
      });
    });
  });
}

/** Rounds of an HTTP scenario, tools alternating, each in its own session; every tool errored when wrk is missing. */
export async function alternateWithWrk(ctx: Context, rec: Recorder, round: (s: Session, tool: ToolName) => Promise<void>): Promise<void> {
  if (wrkMissing(ctx, rec)) return;
  await alternate(ctx, rec, ctx.rounds, (tool) => withSession(tool, (s) => round(s, tool.name)));
}
