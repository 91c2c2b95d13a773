import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coerceField } from '../../src/config/coerce.js';
import { coerceHealth } from '../../src/config/health-spec.js';
import { findField } from '../../src/config/schema.js';
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

describe('durations a timer cannot hold', () => {
  it('kill_timeout, restart_delay, a health interval past 24.8 days are refused; max_age and schedule_interval are not', () => {
    for (const [key, value] of [
      ['kill_timeout', '30d'],
      ['restart_delay', '25d'],
      ['listen_timeout', 9_999_999_999],
    ] as const) {
      const field = findField(key);
      assert.ok(field !== undefined);
      assert.throws(() => coerceField(field, value), /Expected `\w+` to be a duration of at most 24d/, key);
    }
    assert.throws(() => coerceHealth('health', { http: 'http://127.0.0.1:1/', interval: '30d' }), /health\.interval/);
    for (const key of ['max_age', 'schedule_interval'])
      assert.equal(coerceField(findField(key) as NonNullable<ReturnType<typeof findField>>, '30d'), DAYS_30, key);
  });
});
