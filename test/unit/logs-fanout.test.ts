import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppLog } from '../../src/logs/app-log.js';
import { LogFanout } from '../../src/logs/fanout.js';
import { logSpec, numberedLines, tempDir } from '../fixtures/logs/log-test-kit.js';
import type { LogRecord, LogStream } from '../../src/protocol/logs.js';

function rec(n: number, app = 'a', stream: LogStream = 'out'): LogRecord {
  return { time: n, app, id: 0, stream, message: `line ${n}` };
}

describe('LogFanout', () => {
  it('delivers to every matching follower', () => {
    const fan = new LogFanout();
    const a: number[] = [];
    const errs: number[] = [];
    fan.subscribe({ apps: ['a'] }, (r) => a.push(r.time) > 0);
    fan.subscribe({ streams: ['err'] }, (r) => errs.push(r.time) > 0);
    fan.publish(rec(1));
    fan.publish(rec(2, 'b', 'err'));
    fan.publish(rec(3, 'a', 'err'));
    assert.deepEqual(a, [1, 3]);
    assert.deepEqual(errs, [2, 3]);
    assert.equal(fan.wants('a', 0), true);
    assert.equal(fan.wants('c', 0), true, 'the err follower takes every app');
    const only = new LogFanout();
    only.subscribe({ apps: ['a'], ids: [1] }, () => true);
    assert.equal(only.wants('a', 1), true);
    assert.equal(only.wants('a', 2), false);
    assert.equal(only.wants('b', 1), false);
  });

  it('queues while the transport is full and resumes on drain', () => {
    const fan = new LogFanout();
    const got: number[] = [];
    let room = 2;
    const sub = fan.subscribe({}, (r) => {
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

  it('drops a stuck follower with a reason while others continue (publishing never waits for it)', () => {
    const fan = new LogFanout({ maxQueuedRecords: 100 });
    const reasons: string[] = [];
    const stuck = fan.subscribe(
      {},
      () => false,
      (why) => reasons.push(why),
    );
    let healthy = 0;
    fan.subscribe({}, () => ++healthy > 0);
    for (let i = 0; i < 100_000; i += 1) fan.publish(rec(i));
    assert.equal(healthy, 100_000);
    assert.equal(stuck.closed, true);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /too slow/);
    assert.equal(fan.size, 1);
  });

  it('bounds the queue by bytes too', () => {
    const fan = new LogFanout({ maxQueuedBytes: 10_000 });
    const sub = fan.subscribe({}, () => false);
    const big: LogRecord = { ...rec(0), message: 'x'.repeat(4000) };
    for (let i = 0; i < 4; i += 1) fan.publish(big);
    assert.equal(sub.closed, true);
  });

  it('drops a follower whose send throws, and close is idempotent', () => {
    const fan = new LogFanout();
    const reasons: string[] = [];
    const sub = fan.subscribe(
      {},
      () => {
        throw new Error('EPIPE');
      },
      (why) => reasons.push(why),
    );
    fan.publish(rec(1));
    assert.equal(sub.closed, true);
    assert.match(reasons[0] ?? '', /EPIPE/);
    sub.close();
    sub.drain();
    assert.equal(fan.size, 0);
  });

  it('a stuck follower of an AppLog is dropped; the file and other followers get every line', () => {
    const fan = new LogFanout();
    const out = join(tempDir(), 'f-out.log');
    const log = new AppLog({ app: 'f', id: 0, spec: logSpec({ maxSizeBytes: 0 }), files: { out, err: null, combined: null } });
    let healthy = 0;
    const dropped: string[] = [];
    fan.subscribe(
      { apps: ['f'] },
      () => false,
      (why) => dropped.push(why),
    );
    fan.subscribe({ apps: ['f'] }, () => ++healthy > 0);
    if (fan.wants('f', 0)) log.setRecordListener((r) => fan.publish(r));
    const data = numberedLines(0, 20_000);
    for (let off = 0; off < data.length; off += 65536) log.write('out', data.subarray(off, off + 65536));
    log.close();
    assert.equal(dropped.length, 1);
    assert.equal(healthy, 20_000);
    assert.equal(readFileSync(out).length, data.length);
  });
});
