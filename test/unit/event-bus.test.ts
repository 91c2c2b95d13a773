import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../src/daemon/event-bus.js';
import { statePublisher } from '../../src/daemon/state-events.js';
import type { DaemonEvent } from '../../src/protocol/events.js';
import type { ProcessInfo, ProcessStatus } from '../../src/protocol/process-info.js';

function info(id: number, status: ProcessStatus): ProcessInfo {
  return {
    id,
    name: `app${id}`,
    namespace: 'default',
    pid: null,
    status,
    restarts: 0,
    uptimeMs: 0,
    createdAt: 0,
    startedAt: null,
    adopted: false,
    lastExit: null,
    reason: null,
    nextRestartAt: null,
    cpuPercent: null,
    memoryBytes: null,
    health: null,
  };
}

const statuses = (got: DaemonEvent[]): string[] =>
  got.map((e) => (e.type === 'process:state' ? `${e.info.id}:${e.previous}>${e.info.status}${e.deleted ? ':deleted' : ''}` : e.type));

describe('EventBus and process:state events', () => {
  it('says what each change came from, filters by app, marks the last event of a deleted app', () => {
    const bus = new EventBus();
    const all: DaemonEvent[] = [];
    const only1: DaemonEvent[] = [];
    bus.subscribe(
      { types: null, ids: null },
      (e) => all.push(e) > 0,
      () => undefined,
    );
    bus.subscribe(
      { types: new Set(['process:state']), ids: new Set([1]) },
      (e) => only1.push(e) > 0,
      () => undefined,
    );
    const publish = statePublisher(bus, () => 42);
    publish(info(0, 'launching'), false);
    publish(info(1, 'launching'), false);
    publish(info(0, 'online'), false);
    publish(info(1, 'errored'), false);
    publish(info(1, 'stopped'), true);
    assert.deepEqual(statuses(all), [
      '0:null>launching',
      '1:null>launching',
      '0:launching>online',
      '1:launching>errored',
      '1:errored>stopped:deleted',
    ]);
    assert.deepEqual(statuses(only1), ['1:null>launching', '1:launching>errored', '1:errored>stopped:deleted']);
    assert.equal((all[0] as { time: number }).time, 42);
  });

  it('queues while the transport is full, resumes on drain, drops a stuck subscriber with a reason', () => {
    const bus = new EventBus({ maxQueued: 5 });
    const got: number[] = [];
    let room = 1;
    const slow = bus.subscribe(
      { types: null, ids: null },
      (e) => {
        if (e.type === 'process:state') got.push(e.info.id);
        room -= 1;
        return room > 0;
      },
      () => undefined,
    );
    const reasons: string[] = [];
    bus.subscribe(
      { types: null, ids: null },
      () => false,
      (why) => reasons.push(why),
    );
    let healthy = 0;
    bus.subscribe(
      { types: null, ids: null },
      () => ++healthy > 0,
      () => undefined,
    );
    const publish = statePublisher(bus, Date.now);
    for (let i = 0; i < 4; i += 1) publish(info(i, 'online'), false);
    assert.deepEqual(got, [0]);
    assert.equal(slow.queued, 3);
    room = 100;
    slow.drain();
    assert.deepEqual(got, [0, 1, 2, 3]);
    for (let i = 4; i < 10; i += 1) publish(info(i, 'online'), false);
    assert.equal(reasons.length, 1, 'the stuck one was dropped once');
    assert.match(reasons[0] as string, /too slow: more than 5 events/);
    assert.equal(healthy, 10, 'others kept receiving');
    assert.equal(bus.size, 2);
  });

  it('a throwing in-process listener or transport does not stop publication', () => {
    const bus = new EventBus();
    bus.listen(() => {
      throw new Error('boom');
    });
    const reasons: string[] = [];
    bus.subscribe(
      { types: null, ids: null },
      () => {
        throw new Error('socket gone');
      },
      (why) => reasons.push(why),
    );
    let n = 0;
    bus.listen(() => {
      n += 1;
    });
    statePublisher(bus, Date.now)(info(0, 'online'), false);
    assert.equal(n, 1);
    assert.deepEqual(reasons, ['send failed: socket gone']);
  });
});
