import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WriteScheduler } from '../../src/supervisor/write-scheduler.js';

function recorder(costMs = 0, settling: () => boolean = () => true): { log: string[]; scheduler: WriteScheduler } {
  const log: string[] = [];
  // Each state write costs exactly costMs more on the clock the scheduler measures writes with
  // than real time (a busy loop would cost more on a loaded machine).
  let extra = 0;
  const scheduler = new WriteScheduler(
    {
      state: () => {
        extra += costMs;
        log.push('state');
      },
      status: () => {
        log.push('status');
      },
    },
    Date.now,
    () => performance.now() + extra,
    settling,
  );
  return { log, scheduler };
}

/** Waits for a condition (a loaded machine delays timers): 5 s at most. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await sleep(10);
}

describe('when state.json and status.json are written', () => {
  it('a burst of changes is one write, state first and the status file on a later turn', async () => {
    const { log, scheduler } = recorder();
    for (let i = 0; i < 500; i++) scheduler.changed();
    assert.deepEqual(log, [], 'nothing is written in the turn of the change');
    await sleep(80);
    assert.deepEqual(log, ['state', 'status']);
    scheduler.close();
  });

  it('answers wait for a write that holds every change made before them, and share it', async () => {
    const { log, scheduler } = recorder();
    scheduler.changed();
    const answered: string[] = [];
    scheduler.afterWrite(() => answered.push(`a after ${log.join(',')}`));
    scheduler.afterWrite(() => answered.push(`b after ${log.join(',')}`));
    await until(() => answered.length >= 2);
    assert.deepEqual(answered, ['a after state,status', 'b after state,status']);
    assert.deepEqual(log, ['state', 'status'], 'one write for both answers');
    // Nothing changed since: an answer only refreshes the status file.
    scheduler.afterWrite(() => answered.push(`c after ${log.join(',')}`));
    await until(() => answered.length >= 3);
    assert.equal(answered[2], 'c after state,status,status');
    scheduler.close();
  });

  it('spaces writes by what the last one cost (20 times it) while changes keep coming', async () => {
    const { log, scheduler } = recorder(10);
    scheduler.writeNow();
    const first = Date.now();
    scheduler.changed();
    while (log.length < 4) await sleep(5);
    const gap = Date.now() - first;
    assert.ok(gap >= 180, `the second write came ${gap} ms after a 10 ms one`);
    scheduler.close();
  });

  it("a lone command's answer does not wait out the spacing of the write just before it", async () => {
    // One `restart`: a write when the app stops, its answer's write once it is back.
    const { log, scheduler } = recorder(5);
    scheduler.writeNow();
    const first = Date.now();
    scheduler.changed();
    let answeredAt = 0;
    scheduler.afterWrite(() => (answeredAt = Date.now()));
    await until(() => answeredAt > 0);
    assert.deepEqual(log, ['state', 'status', 'state', 'status']);
    // Spaced by cost it would have waited 20 × 5 ms.
    assert.ok(answeredAt - first < 60, `answered ${answeredAt - first} ms after a 5 ms write`);
    scheduler.close();
  });

  it('answers of a bulk command are spaced by cost once the burst is spent', async () => {
    const { log, scheduler } = recorder(10);
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      scheduler.changed();
      await new Promise<void>((resolve) => scheduler.afterWrite(resolve));
    }
    // 4 writes of 10 ms owe 3 × 200 ms of spacing; the first 100 ms of it is forgiven.
    assert.equal(log.filter((l) => l === 'state').length, 4);
    const took = Date.now() - started;
    assert.ok(took >= 450, `4 answered writes of 10 ms took ${took} ms`);
    scheduler.close();
  });

  it('the last answers of a bulk command do not wait out its spacing once nothing more is on its way', async () => {
    let launching = true;
    const { log, scheduler } = recorder(50, () => launching);
    for (let i = 0; i < 2; i++) {
      scheduler.changed();
      await new Promise<void>((resolve) => scheduler.afterWrite(resolve));
    }
    // 2 writes of 50 ms: the next answer owes ~1 s of spacing while spawns are under way...
    scheduler.changed();
    let answeredAt = 0;
    scheduler.afterWrite(() => (answeredAt = Date.now()));
    await sleep(20);
    assert.equal(answeredAt, 0, 'spaced while spawns are under way');
    // ...and is answered at once when the last spawn is done and its app's answer asks.
    launching = false;
    const last = Date.now();
    scheduler.afterWrite(() => undefined);
    await until(() => answeredAt > 0);
    assert.ok(answeredAt - last < 500, `answered ${answeredAt - last} ms after nothing more was coming`);
    assert.equal(log.filter((l) => l === 'state').length, 3);
    scheduler.close();
  });

  it('writes nothing once closed', async () => {
    const { log, scheduler } = recorder();
    scheduler.changed();
    scheduler.close();
    scheduler.changed();
    scheduler.writeNow();
    await sleep(80);
    assert.deepEqual(log, []);
  });
});
