import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, waitFor } from '../helpers/tend.js';

interface Row {
  name: string;
  pid: number | null;
  status: string;
  instance?: number;
}

describe('max_age: staggered recycling', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('a fork app is restarted when its process is max_age old (plus jitter), counted as age', async () => {
    const [first] = await t.json<Row[]>(['start', fixture('forever.js'), '--name', 'leaky', '--max-age', '2s', '--max-age-jitter', '1s']);
    const pids = new Set<number>([first?.pid as number]);
    await waitFor(
      async () => {
        const p = await t.app('leaky');
        if (p.pid !== null) pids.add(p.pid);
        return pids.size >= 3;
      },
      'two recycles',
      30_000,
      100,
    );
    const d = (await t.run(['describe', 'leaky'])).stdout;
    assert.match(d, /max age\s+2s \+ up to 1s at random, next \S+, recycled: [2-9]/);
    assert.match(d, /max_age: its process was \d/);
  });

  it('a cluster app is recycled by a rolling reload: every request answered, the workers replaced', async () => {
    const port = await freePort();
    await t.json([
      'start',
      fixture('cluster-server.js'),
      '--name',
      'web',
      '-i',
      '2',
      '--env',
      `PORT=${port}`,
      '--max-age',
      '3s',
      '--max-age-jitter',
      '0',
      '--wait-ready',
    ]);
    const before = (await t.list()).filter((r) => r.name === 'web').map((r) => r.pid);
    let failures = 0;
    let answered = 0;
    const deadline = Date.now() + 30_000;
    let replaced = false;
    while (Date.now() < deadline && !replaced) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) answered += 1;
        else failures += 1;
        await res.text();
      } catch {
        failures += 1;
      }
      const now = (await t.list()).filter((r) => r.name === 'web').map((r) => r.pid);
      replaced = now.every((p) => p !== null && !before.includes(p));
    }
    assert.ok(replaced, 'both workers were replaced');
    assert.equal(failures, 0, `no request failed (${answered} answered)`);
    assert.match((await t.run(['describe', 'web'])).stdout, /recycled: [1-9]/);
  });

  it('refuses a max_age under 1s', async () => {
    const r = await t.run(['start', fixture('forever.js'), '--name', 'x', '--max-age', '100ms']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /max_age.*at least 1s/);
  });
});
