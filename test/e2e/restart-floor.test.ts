import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FLOOR_MAX_MS } from '../../src/supervisor/restart-policy.js';
import { TendHome, waitFor } from '../helpers/tend.js';

// An app that exits at once, with every restart limit removed (min_uptime 0, max_restarts huge,
// no backoff): without a floor it restarted 166–241 times a second and burnt most of a core.
describe('restart-rate floor against a real crash loop', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('settles at no more than about one restart a second, whatever the settings', async () => {
    await t.json(['start', '--name', 'spin', '--min-uptime', '0', '--max-restarts', '1000000', '--', '/bin/sh', '-c', 'exit 3']);
    // The floor reaches its cap after a few quick exits (0, 0, 100, 200, 400, 800 ms, then 1 s).
    const first = await waitFor(
      async () => {
        const a = await t.app('spin');
        return a.restarts >= 7 ? a.restarts : undefined;
      },
      'seven restarts',
      20_000,
    );
    const t0 = Date.now();
    const counted = 3;
    await waitFor(async () => ((await t.app('spin')).restarts >= first + counted ? true : undefined), `${counted} more restarts`, 20_000);
    const elapsedMs = Date.now() - t0;
    const perSecond = (counted / elapsedMs) * 1000;
    // A lower bound on time only (a loaded machine makes it slower, never faster).
    assert.ok(elapsedMs >= (counted - 1) * FLOOR_MAX_MS, `${counted} restarts in ${elapsedMs} ms (${perSecond.toFixed(1)}/s)`);
    const app = await t.app('spin');
    assert.notEqual(app.status, 'errored');
    assert.equal(app.lastExit?.code, 3);
    await t.json(['stop', 'spin']);
  });
});
