import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogFanout, selectRecords } from '../../src/logs/fanout.js';
import type { LogRecord, LogStream } from '../../src/protocol/model.js';

function rec(n: number, app = 'a', stream: LogStream = 'out'): LogRecord {
  return { time: n, app, id: 0, stream, message: `line ${n}` };
}

describe('LogFanout', () => {
  it('delivers to every matching follower', () => {
    const fan = new LogFanout();
    const a: number[] = [];
    const errs: number[] = [];
    fan.subscribe(selectRecords({ apps: ['a'] }), (r) => a.push(r.time) > 0);
    fan.subscribe(selectRecords({ streams: ['err'] }), (r) => errs.push(r.time) > 0);
    fan.publish(rec(1));
    fan.publish(rec(2, 'b', 'err'));
    fan.publish(rec(3, 'a', 'err'));
    assert.deepEqual(a, [1, 3]);
    assert.deepEqual(errs, [2, 3]);
    assert.equal(fan.wants('a', 0), true);
    assert.equal(fan.wants('c', 0), true, 'the err follower takes every app');
  });

  it('queues while the transport is full and resumes on drain', () => {
    const fan = new LogFanout();
    const got: number[] = [];
    let room = 2;
    const sub = fan.subscribe(() => true, (r) => {
      got.push(r.time);
      room -= 1;
      return room > 0;
    });
    for (let i = 0; i < 5; i += 1) fan.publish(rec(i));
    assert.deepEqual(got, [0, 1]);
    assert.equal(sub.queued, 3);
    room = 100;
    sub.drain();
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal(sub.queued, 0);
    fan.publish(rec(5));
    assert.deepEqual(got.at(-1), 5);
  });

  it('drops a stuck follower with a reason while others continue, without slowing the publisher', () => {
    const fan = new LogFanout({ maxQueuedRecords: 100 });
    const reasons: string[] = [];
    const stuck = fan.subscribe(() => true, () => false, (why) => reasons.push(why));
    let healthy = 0;
    fan.subscribe(() => true, () => ++healthy > 0);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i += 1) fan.publish(rec(i));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(healthy, 100_000);
    assert.equal(stuck.closed, true);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /too slow/);
    assert.equal(fan.size, 1);
    assert.ok(ms < 2000, `publishing took ${ms} ms`);
  });

  it('bounds the queue by bytes too', () => {
    const fan = new LogFanout({ maxQueuedBytes: 10_000 });
    const sub = fan.subscribe(() => true, () => false);
    const big: LogRecord = { ...rec(0), message: 'x'.repeat(4000) };
    for (let i = 0; i < 4; i += 1) fan.publish(big);
    assert.equal(sub.closed, true);
  });

  it('drops a follower whose send throws, and close is idempotent', () => {
    const fan = new LogFanout();
    const reasons: string[] = [];
    const sub = fan.subscribe(() => true, () => {
      throw new Error('EPIPE');
    }, (why) => reasons.push(why));
    fan.publish(rec(1));
    assert.equal(sub.closed, true);
    assert.match(reasons[0] ?? '', /EPIPE/);
    sub.close();
    sub.drain();
    assert.equal(fan.size, 0);
  });
});
