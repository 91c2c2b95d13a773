import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { HealthProbe } from '../protocol/app-spec.js';
import { requestFor } from '../extra-ca.js';

export interface ProbeResult {
  ok: boolean;
  /** For humans: `HTTP 200`, `connection refused`, `no answer within 5000 ms`, `exit 1: …`. */
  message: string;
}

export interface Command {
  file: string;
  args: string[];
}

export interface ProbeContext {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** How a command of the app runs: as the app's user when it has `uid`/`gid` (may throw). */
  asApp(command: Command): Command;
}

/** Runs one check; never throws, never outlives its timeout. */
export function runProbe(probe: HealthProbe, ctx: ProbeContext): Promise<ProbeResult> {
  switch (probe.type) {
    case 'http':
      return httpProbe(probe.url, ctx.timeoutMs);
    case 'tcp':
      return tcpProbe(probe.host, probe.port, ctx.timeoutMs);
    case 'exec':
      return execProbe(probe.command, ctx);
  }
}

/** Healthy on 2xx and 3xx (redirects are not followed), like Kubernetes' httpGet probe. */
async function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const request = await requestFor(url);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = request(url, { method: 'GET', headers: { 'user-agent': 'tend-health', connection: 'close' }, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done({ ok: status >= 200 && status < 400, message: `HTTP ${status}` });
    });
    const timer = setTimeout(() => done({ ok: false, message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: errText(err) }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (r: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, message: `no connection within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => done({ ok: true, message: `connected to port ${port}` }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: errText(err) }));
  });
}

/** `sh -c CMD` as the app, in its cwd and environment, in its own process group (killed whole on timeout). */
function execProbe(command: string, ctx: ProbeContext): Promise<ProbeResult> {
  let run: Command;
  try {
    run = ctx.asApp({ file: '/bin/sh', args: ['-c', command] });
  } catch (err) {
    return Promise.resolve({ ok: false, message: (err as Error).message });
  }
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const child = spawn(run.file, run.args, { cwd: ctx.cwd, env: ctx.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      if (output.length < 500) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      done({ ok: false, message: `command did not finish within ${ctx.timeoutMs} ms` });
    }, ctx.timeoutMs);
    child.on('error', (err) => done({ ok: false, message: err.message }));
    child.on('close', (code, signal) => {
      const tail = output.trim().split('\n').pop()?.slice(0, 200) ?? '';
      if (code === 0) done({ ok: true, message: 'exit 0' });
      else done({ ok: false, message: `${signal ?? `exit ${code}`}${tail ? `: ${tail}` : ''}` });
    });
  });
}

function errText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
      return `host not found (${err.message})`;
    default:
      return err.message;
  }
}
