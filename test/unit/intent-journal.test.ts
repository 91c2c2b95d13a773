import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, rmSync, statSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { IntentLog, JOURNAL_RESERVE_BYTES, readIntents, readLegacyIntents } from '../../src/store/intent-log.js';
import { planRestore } from '../../src/supervisor/restore-plan.js';
import { INITIAL } from '../../src/supervisor/process-machine.js';
import { makeToken } from '../../src/supervisor/run-finder.js';
import type { ProcessRecord } from '../../src/supervisor/handle-types.js';
import { sampleSpec } from '../helpers/sample-spec.js';

describe('the intent journal: reserved space, in-place records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => join(dir, `journal-${n++}`);

  it('takes its space when opened, and keeps its size however many records come and go', () => {
    const path = fresh();
    const log = new IntentLog(path);
    log.reserve();
    assert.equal(statSync(path).size, JOURNAL_RESERVE_BYTES);
    assert.ok(statSync(path).blocks * 512 >= JOURNAL_RESERVE_BYTES, 'allocated, not sparse');
    for (let i = 0; i < 100; i++) log.append({ op: 'stop', id: i, remove: false });
    assert.equal(readIntents(path).length, 100);
    log.clear();
    assert.deepEqual(readIntents(path), [], 'emptied by the next generation');
    assert.equal(statSync(path).size, JOURNAL_RESERVE_BYTES, 'never truncated');
    log.append({ op: 'stop', id: 7, remove: true });
    assert.deepEqual(readIntents(path), [{ op: 'stop', id: 7, remove: true }], 'records of the old generation behind it are not replayed');
    log.close();
  });

  it('a reopened journal goes on after its last record (a daemon restart with state.json unwritten)', () => {
    const path = fresh();
    const first = new IntentLog(path);
    first.append({ a: 1 });
    first.close();
    const second = new IntentLog(path);
    second.append({ b: 2 });
    second.close();
    assert.deepEqual(readIntents(path), [{ a: 1 }, { b: 2 }]);
  });

  it('a record cut short or damaged ends the replay before it', () => {
    const path = fresh();
    const log = new IntentLog(path);
    log.append({ a: 1 });
    log.append({ b: 'second' });
    log.close();
    const data = readFileSync(path);
    // Flip one byte of the second record's payload: its checksum no longer holds.
    const at = data.indexOf('second');
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('X'), 0, 1, at);
    closeSync(fd);
    assert.deepEqual(readIntents(path), [{ a: 1 }]);
  });

  it('grows past its reserve while the disk allows, and refuses past its cap', () => {
    const path = fresh();
    const log = new IntentLog(path);
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 3; i++) log.append({ big });
    assert.ok(statSync(path).size > JOURNAL_RESERVE_BYTES);
    assert.equal(readIntents(path).length, 3);
    assert.throws(
      () => {
        for (let i = 0; i < 100; i++) log.append({ big });
      },
      (err: Error & { code?: string }) => err.code === 'E_WRITE_FAILED',
    );
    log.close();
  });

  it("a file that is not a journal is replaced by an empty one; an older tend's JSON lines are read apart", () => {
    const path = fresh();
    writeFileSync(path, '{"op":"stop","id":1}\n');
    assert.deepEqual(readIntents(path), []);
    assert.deepEqual(readLegacyIntents(path), [{ op: 'stop', id: 1 }]);
    const log = new IntentLog(path);
    log.append({ ok: true });
    log.close();
    assert.deepEqual(readIntents(path), [{ ok: true }]);
  });
});

describe('restore finishes the operations the journal names', () => {
  const record = (id: number, over: Partial<ProcessRecord> = {}): ProcessRecord => ({
    id,
    spec: sampleSpec({ name: `app${id}` }),
    createdAt: 1,
    restarts: 0,
    snapshot: { ...INITIAL, state: 'online' },
    pid: 1000 + id,
    startTicks: '5',
    startedAt: 1,
    lastExit: null,
    token: `t${id}`,
    ...over,
  });
  const alive = (): boolean => true;

  it('an operation pends for each app it names until a spawn for that app is journaled after it', () => {
    const plan = planRestore(
      { nextId: 3, records: [record(0), record(1), record(2)] },
      [
        { op: 'operation', verb: 'restart', goal: 'run', ids: [0, 1, 2], at: 10 },
        { op: 'spawn', id: 1, token: 'new1', restarts: 1 },
      ],
      new Map(),
      alive,
      20,
    );
    assert.deepEqual(
      plan.apps.map((a) => [a.record.id, a.record.pending?.verb ?? null]),
      [
        [0, 'restart'],
        [1, null],
        [2, 'restart'],
      ],
    );
  });

  it('a stop after the operation ends it; an operation carries the specs it gives, new apps included', () => {
    const spec = sampleSpec({ name: 'fresh' });
    const plan = planRestore(
      { nextId: 1, records: [record(0)] },
      [
        { op: 'operation', verb: 'start', goal: 'run', ids: [0, 5], at: 10, specs: { 5: { spec, createdAt: 9 } } },
        { op: 'operation', verb: 'stop', goal: 'stop', ids: [0], at: 11 },
      ],
      new Map(),
      alive,
      20,
    );
    const byId = new Map(plan.apps.map((a) => [a.record.id, a]));
    assert.equal(byId.get(0)?.record.pending, null);
    assert.equal(byId.get(0)?.record.snapshot.state, 'stopping', 'the stop is carried out');
    assert.equal(byId.get(5)?.record.spec.name, 'fresh');
    assert.equal(byId.get(5)?.mode, 'start', 'a new app whose run never came up is started');
    assert.equal(plan.nextId, 6);
  });

  it('a live run made after the operation (the state came from before its spawn) ends it', () => {
    const plan = planRestore(
      {
        nextId: 2,
        records: [
          record(0, { token: makeToken('home', 0, 15), pending: { verb: 'restart', at: 10 } }),
          record(1, { token: makeToken('home', 1, 5), pending: { verb: 'restart', at: 10 } }),
        ],
      },
      [],
      new Map(),
      alive,
      20,
    );
    assert.deepEqual(
      plan.apps.map((a) => a.record.pending?.verb ?? null),
      [null, 'restart'],
    );
  });

  it('a run state with no pid and no run found (its spawn was under way) is started, not left stopped', () => {
    const plan = planRestore(
      { nextId: 1, records: [record(0, { pid: null, startTicks: null, snapshot: { ...INITIAL, state: 'starting' } })] },
      [],
      new Map(),
      () => false,
      20,
    );
    assert.equal(plan.apps[0]?.mode, 'start');
  });
});
