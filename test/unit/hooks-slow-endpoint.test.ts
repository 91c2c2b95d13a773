import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HookRunner } from '../../src/hooks/hook-runner.js';
import { HookSlots } from '../../src/hooks/hook-slots.js';
import type { ProcessStateEvent } from '../../src/protocol/events.js';
import type { Hooks } from '../../src/protocol/app-spec.js';
import type { ProcessInfo } from '../../src/protocol/process-info.js';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { server, url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/hook` };
}

/** An app becoming online: the event that fires its `online` hook. */
function online(id: number, name: string, n: number): ProcessStateEvent {
  const info = {
    id,
    name,
    namespace: 'default',
    status: 'online',
    pid: 1000 + n,
    restarts: 0,
    lastExit: null,
    reason: null,
  } as unknown as ProcessInfo;
  return { type: 'process:state', time: Date.now(), info, previous: 'launching', deleted: false };
}

async function until(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hooks: a webhook that trickles its answer', () => {
  let trickle: { server: Server; url: string };
  let fast: { server: Server; url: string };
  const trickling = new Set<ServerResponse>();
  let trickleRequests = 0;
  const fastBodies: string[] = [];
  before(async () => {
    // Answers 200 at once, then one byte every 50 ms and never ends: the socket is never idle.
    trickle = await serve((req, res) => {
      trickleRequests += 1;
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      trickling.add(res);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => {
        clearInterval(timer);
        trickling.delete(res);
      });
    });
    fast = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        fastBodies.push(body);
        res.end('ok');
      });
    });
  });
  after(async () => {
    for (const s of [trickle.server, fast.server]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('is cut off at the deadline, and does not silence another endpoint', async () => {
    const logs: Array<{ event: string; data: Record<string, unknown> }> = [];
    const TIMEOUT_MS = 1000;
    const hooksOf: Record<number, Hooks> = {
      1: { online: { type: 'http', url: trickle.url } },
      2: { online: { type: 'http', url: fast.url } },
    };
    const runner = new HookRunner({
      appOf: (id) => ({ hooks: hooksOf[id], cwd: '/', env: {}, asApp: (c) => c }),
      log: (event, data) => logs.push({ event, data }),
      timeoutMs: TIMEOUT_MS,
      maxRunning: 16,
    });
    const started = Date.now();
    const SLOW = 20;
    for (let n = 0; n < SLOW; n++) runner.onEvent(online(1, 'slow', n));
    await until(() => trickling.size > 0, 'the trickling endpoint to be called', 5000);
    // While the slow endpoint's hooks hang on, another app's hook goes out at once.
    runner.onEvent(online(2, 'other', 0));
    await until(() => fastBodies.length === 1, 'the other endpoint to receive its hook', 3000);
    assert.equal((JSON.parse(fastBodies[0] as string) as { app: string }).app, 'other');
    assert.ok(trickling.size > 0, 'the slow hooks were still running meanwhile');
    // Every slow hook ends at its deadline however it trickles; none is dropped.
    await until(
      () => logs.filter((l) => l.data.app === 'slow' && l.event !== 'hook-ran').length === SLOW,
      `all ${SLOW} slow hooks to end`,
      20 * TIMEOUT_MS,
    );
    const slow = logs.filter((l) => l.data.app === 'slow');
    assert.ok(
      slow.every((l) => l.event === 'hook-failed' && String(l.data.error).includes(`within ${TIMEOUT_MS} ms`)),
      JSON.stringify(slow.slice(0, 3)),
    );
    assert.equal(trickleRequests, SLOW);
    await until(() => trickling.size === 0, 'the trickling connections to be closed', 3000);
    // 4 at a time (16 / 4 per endpoint), each cut off at 1 s: about 5 s, never for ever.
    assert.ok(Date.now() - started < 12 * TIMEOUT_MS, `took ${Date.now() - started} ms`);
    assert.deepEqual(
      logs.filter((l) => l.event === 'hook-skipped'),
      [],
    );
  });
});

describe('hook slots', () => {
  it('one endpoint holds its share; the rest wait in a bounded queue, served in turn', () => {
    const slots = new HookSlots({ maxRunning: 4, perEndpoint: 2, queuePerEndpoint: 3 });
    const releases: Array<() => void> = [];
    const ran: string[] = [];
    const job =
      (name: string) =>
      (done: () => void): void => {
        ran.push(name);
        releases.push(done);
      };
    assert.deepEqual(
      ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((n) => slots.submit('a', job(n))),
      ['started', 'started', 'queued', 'queued', 'queued', 'skipped'],
    );
    assert.deepEqual(
      ['b1', 'c1', 'c2'].map((n) => slots.submit(n[0] as string, job(n))),
      ['started', 'started', 'queued'],
    );
    assert.equal(slots.active, 4);
    // a1 ends: its slot goes to a waiting hook (a3).
    (releases[0] as () => void)();
    assert.deepEqual(ran, ['a1', 'a2', 'b1', 'c1', 'a3']);
    // b1 ends: a is at its share (2 running), so c2 goes before a4.
    (releases[2] as () => void)();
    assert.deepEqual(ran.slice(5), ['c2']);
    // A release called twice frees one slot only.
    (releases[2] as () => void)();
    assert.equal(slots.active, 4);
  });
});
