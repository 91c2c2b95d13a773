import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { TendHome, fixture, freePort, waitFor, type ProcessJson } from '../helpers/tend.js';

interface Row extends ProcessJson {
  holderPid?: number;
}

const argv = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

// TEND_HOLDER_NODE_FLAGS (README: blast radius of a holder) reaches both kinds of holder, and
// only them: the workers of a cluster app keep their own arguments.
describe('TEND_HOLDER_NODE_FLAGS', () => {
  const t = new TendHome({ TEND_HOLDER_NODE_FLAGS: '--max-semi-space-size=2 --stack-size=900' });
  after(() => t.cleanup());

  it('is passed to cluster and PTY holders, not to workers', async () => {
    const port = await freePort();
    await t.json(['start', fixture('cluster-server.js'), '--name', 'web', '-i', '2', '--env', `PORT=${port}`]);
    const rows = await waitFor(
      async () => {
        const r = (await t.list()) as Row[];
        return r.filter((x) => x.name === 'web' && x.status === 'online').length === 2 ? r : undefined;
      },
      'two workers online',
      30_000,
    );
    const web = rows.filter((r) => r.name === 'web');
    const holder = web[0]?.holderPid;
    assert.equal(typeof holder, 'number', JSON.stringify(web));
    t.track(holder as number);
    assert.deepEqual(argv(holder as number).slice(1, 3), ['--max-semi-space-size=2', '--stack-size=900']);
    for (const w of web) assert.ok(!argv(w.pid as number).includes('--stack-size=900'), argv(w.pid as number).join(' '));

    const [pty] = await t.json<ProcessJson[]>(['start', '--pty', '--name', 'tty', '--', '/bin/sleep', '100000']);
    assert.equal(pty?.status, 'online');
    assert.deepEqual(argv(pty?.pid as number).slice(1, 3), ['--max-semi-space-size=2', '--stack-size=900']);
  });
});
