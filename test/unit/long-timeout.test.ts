import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setLongTimeout } from '../../src/lib/long-timeout.js';
import { MaxAges } from '../../src/limits/max-age.js';
import { waitFor } from '../helpers/tend.js';

// Node's timers hold at most 24.8 days: a plain setTimeout of 30 days fires after 1 ms. Real
// timers: the short delay fires first, and by then the 30-day one must still be waiting.
const DAYS_30 = 30 * 86_400_000;

describe('timers longer than 24.8 days', () => {
  it('setLongTimeout waits past the limit, and fires a short delay on time', async () => {
    const fired: string[] = [];
    const long = setLongTimeout(() => fired.push('30d'), DAYS_30);
    setLongTimeout(() => fired.push('50ms'), 50);
    await waitFor(() => fired.includes('50ms'), 'the 50 ms timer');
    assert.deepEqual(fired, ['50ms']);
    long.cancel();
  });

  it('max_age 30d does not recycle the run at once (it was recycled in a loop)', async () => {
    const fired: number[] = [];
    const ages = new MaxAges(
      (id) => fired.push(id),
      Date.now,
      () => 0,
    );
    ages.set(1, { pid: 10, startedAt: Date.now() }, DAYS_30, 0);
    ages.set(2, { pid: 11, startedAt: Date.now() }, 50, 0);
    await waitFor(() => fired.includes(2), 'the 50 ms max_age');
    assert.deepEqual(fired, [2]);
    assert.ok((ages.next(1) ?? 0) > Date.now() + DAYS_30 - 60_000, 'the 30-day run is still due in 30 days');
    ages.close();
  });
});
