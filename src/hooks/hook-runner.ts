import { spawn } from 'node:child_process';
import type { ClientRequest } from 'node:http';
import type { DaemonEvent } from '../protocol/events.js';
import type { HookAction, Hooks } from '../protocol/app-spec.js';
import { redactText } from '../protocol/secrets.js';
import { hookEventsOf, payloadOf, type HookPayload, type Seen } from './hook-events.js';
import { HookSlots } from './hook-slots.js';
import { requestFor } from '../extra-ca.js';

export interface HookRunnerDeps {
  /** The hooks, cwd and env of an app that still exists (null once deleted). */
  appOf(id: number): Known | null;
  log(event: string, data: Record<string, unknown>): void;
  /** A hook that runs longer is killed (command) or aborted (HTTP, however it trickles). */
  timeoutMs?: number;
  /** Hooks running at once; more wait in a bounded queue per endpoint. */
  maxRunning?: number;
  /** Hooks running at once for one endpoint (an HTTP host, one app's commands). */
  perEndpoint?: number;
}

export interface Known {
  hooks: Hooks | undefined;
  cwd: string;
  env: Record<string, string>;
  /** How a command hook runs: as the app's user when it has `uid`/`gid` (may throw). */
  asApp(command: { file: string; args: string[] }): { file: string; args: string[] };
}

/**
 * Runs the `hooks` of apps on their events. Never blocks supervision: each hook runs in the
 * background, bounded in time and in number, and its failure is logged, nothing more. A slow
 * endpoint holds only its own share of the slots (HookSlots), so it never silences the others.
 */
export class HookRunner {
  private seen = new Map<number, Seen>();
  private known = new Map<number, Known>();
  private readonly timeoutMs: number;
  private readonly slots: HookSlots;

  constructor(private readonly deps: HookRunnerDeps) {
    this.timeoutMs = deps.timeoutMs ?? 10_000;
    const maxRunning = deps.maxRunning ?? 16;
    this.slots = new HookSlots({
      maxRunning,
      perEndpoint: deps.perEndpoint ?? Math.max(1, Math.floor(maxRunning / 4)),
      queuePerEndpoint: 16,
    });
  }

  /** Feed every daemon event (an EventBus listener). */
  onEvent(e: DaemonEvent): void {
    if (e.type !== 'process:state') return;
    const id = e.info.id;
    const app = this.deps.appOf(id) ?? this.known.get(id) ?? null;
    if (app !== null) this.known.set(id, app);
    const events = hookEventsOf(e, this.seen.get(id));
    if (e.deleted) {
      this.seen.delete(id);
      this.known.delete(id);
    } else this.seen.set(id, { exitAt: e.info.lastExit?.at ?? null, restarts: e.info.restarts });
    if (app?.hooks === undefined) return;
    for (const ev of events) {
      const action = app.hooks[ev];
      if (action !== undefined) this.run(action, payloadOf(ev, e), app);
    }
  }

  private run(action: HookAction, payload: HookPayload, app: Known): void {
    const where = {
      app: payload.app,
      hook: payload.event,
      ...(action.type === 'http' ? { url: redactText(action.url) } : { command: redactText(action.command) }),
    };
    const body = JSON.stringify(payload);
    const outcome = this.slots.submit(endpointOf(action, payload.app), (release) => {
      const done = (error: string | null): void => {
        release();
        if (error !== null) this.deps.log('hook-failed', { ...where, error });
        else this.deps.log('hook-ran', where);
      };
      if (action.type === 'http') void this.post(action.url, body).then(done);
      else this.command(action.command, body, payload, app, done);
    });
    if (outcome === 'skipped') this.deps.log('hook-skipped', { ...where, reason: 'too many hooks of this endpoint are waiting' });
  }

  // node:http, not fetch: the daemon runs in V8's lite mode, where fetch's parser (WebAssembly) is missing.
  // The socket timeout only notices silence; the deadline also cuts off an answer that trickles.
  private async post(url: string, body: string): Promise<string | null> {
    const send = await requestFor(url);
    return new Promise((resolve) => {
      let settled = false;
      let req: ClientRequest | null = null;
      const settle = (error: string | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(error);
      };
      const deadline = setTimeout(() => {
        req?.destroy();
        settle(`no complete answer within ${this.timeoutMs} ms`);
      }, this.timeoutMs);
      deadline.unref();
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return settle(`not a URL: ${url}`);
      }
      req = send(
        u,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: this.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            settle(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode ?? '?'}`),
          );
          res.on('error', (err) => settle(err.message));
        },
      );
      req.on('timeout', () => {
        req?.destroy();
        settle(`no answer within ${this.timeoutMs} ms`);
      });
      req.on('error', (err) => settle(err.message));
      req.end(body);
    });
  }

  private command(line: string, body: string, payload: HookPayload, app: Known, done: (error: string | null) => void): void {
    let stderr = '';
    let finished = false;
    const finish = (error: string | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done(error);
    };
    let run: { file: string; args: string[] };
    try {
      run = app.asApp({ file: '/bin/sh', args: ['-c', line] });
    } catch (err) {
      done((err as Error).message);
      return;
    }
    const child = spawn(run.file, run.args, {
      cwd: app.cwd,
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...app.env, TEND_EVENT: payload.event, TEND_APP_NAME: payload.app, TEND_APP_ID: String(payload.id) },
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      finish(`killed after ${this.timeoutMs} ms`);
    }, this.timeoutMs);
    timer.unref();
    child.on('error', (err) => finish(err.message));
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 1000) stderr += c.toString('utf8');
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(body);
    child.on('close', (code, signal) => {
      if (code === 0) finish(null);
      else
        finish(
          `${signal !== null ? `killed by ${signal}` : `exit code ${code}`}${stderr.trim() !== '' ? `: ${stderr.trim().slice(0, 300)}` : ''}`,
        );
    });
  }
}

/** Who answers a hook: an HTTP hook's host, or the app (its commands run in its own folder). */
function endpointOf(action: HookAction, app: string): string {
  if (action.type !== 'http') return `command:${app}`;
  try {
    return `http:${new URL(action.url).host}`;
  } catch {
    return `http:${action.url}`;
  }
}
