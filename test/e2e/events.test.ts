import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, TendHome, fixture, waitFor } from '../helpers/tend.js';

interface Line {
  type: string;
  previous: string | null;
  deleted: boolean;
  info: { name: string; status: string; pid: number | null };
}

/** `tend events` as a long-running child; its lines are collected as they arrive. */
function follow(t: TendHome, args: string[]): { child: ChildProcess; lines: string[]; stop(): Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'events', ...args], { env: t.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) t.track(child.pid);
  const lines: string[] = [];
  let buf = '';
  child.stdout?.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Restarts the probe app until the follower shows one of its events (no sleep, no race). */
async function subscribed(t: TendHome, lines: string[], mark: string): Promise<void> {
  await waitFor(
    async () => lines.some((l) => l.includes(mark)) || (await t.run(['restart', 'probe']), false),
    'the follower to be subscribed',
  );
}

describe('tend events: process:state published by the daemon', () => {
  let t: TendHome;
  before(async () => {
    t = new TendHome();
    await t.run(['ping']);
  });
  after(async () => {
    await t.cleanup();
  });

  it('--json streams every change of every app, including apps started after it', async () => {
    const f = follow(t, ['--json']);
    // The follower is subscribed once it prints an event of the probe app (restarted until it does).
    await t.json(['start', fixture('forever.js'), '--name', 'probe']);
    await subscribed(t, f.lines, '"probe"');
    await t.json([
      'start',
      fixture('crash-after.js'),
      '--name',
      'boom',
      '--env',
      'CRASH_AFTER_MS=50',
      '--max-restarts',
      '2',
      '--restart-delay',
      '100',
    ]);
    await waitFor(() => f.lines.some((l) => l.includes('"boom"') && l.includes('"status":"errored"')), 'boom errored');
    await t.json(['delete', 'boom']);
    await waitFor(() => f.lines.some((l) => l.includes('"boom"') && l.includes('"deleted":true')), 'boom deleted');
    await f.stop();
    const boom = f.lines.map((l) => JSON.parse(l) as Line).filter((e) => e.info.name === 'boom');
    assert.ok(boom.every((e) => e.type === 'process:state'));
    assert.equal(boom[0]?.previous, null);
    const seq = boom.map((e) => e.info.status);
    assert.ok(seq.includes('online') && seq.includes('waiting-restart') && seq.includes('errored'), seq.join(' '));
    for (let i = 1; i < boom.length; i += 1)
      assert.equal(boom[i]?.previous, boom[i - 1]?.info.status, 'each event says what it changed from');
    assert.equal(boom.at(-1)?.deleted, true);
  });

  it('human lines, and only the named apps', async () => {
    const f = follow(t, ['probe']);
    await subscribed(t, f.lines, 'probe[');
    await t.json(['start', fixture('forever.js'), '--name', 'other']);
    await t.json(['restart', 'probe']);
    await waitFor(
      () => f.lines.some((l) => / probe\[\d+\] online \(was (launching|stopped|stopping)\) pid \d+/.test(l)),
      'probe online line',
    );
    await f.stop();
    assert.ok(!f.lines.some((l) => l.includes('other')), f.lines.join('\n'));
  });

  it('refuses unknown apps and event types with a one-line error', async () => {
    const r = await t.run(['events', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
