import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppLog, type AppLogOptions } from '../../src/logs/app-log.js';
import { listArchivesSync } from '../../src/logs/archive-names.js';
import { parseJsonLine } from '../../src/logs/line-format.js';
import type { LogRecord } from '../../src/protocol/logs.js';
import { FakeClock, logSpec, numberedLine, numberedLines, readWholeLog, tempDir } from '../fixtures/logs/log-test-kit.js';

interface Fixture {
  log: AppLog;
  out: string;
  err: string;
  clock: FakeClock;
  records: LogRecord[];
  read: (file: string) => string;
}

/** An AppLog on a temp dir; `records` collects what a follower would see (unless noRecords). */
function setup(over: Partial<AppLogOptions> & { noRecords?: boolean } = {}, files?: (dir: string) => AppLogOptions['files']): Fixture {
  const { noRecords, ...rest } = over;
  const dir = tempDir();
  const out = join(dir, 'app-out.log');
  const err = join(dir, 'app-err.log');
  const clock = new FakeClock();
  const records: LogRecord[] = [];
  const log = new AppLog({
    app: 'app',
    id: 3,
    spec: logSpec(),
    files: files ? files(dir) : { out, err, combined: null },
    now: clock.now,
    ...(noRecords === true ? {} : { onRecord: (r: LogRecord) => records.push(r) }),
    ...rest,
  });
  return { log, out, err, clock, records, read: (f) => readFileSync(f, 'utf8') };
}

const b = (s: string): Buffer => Buffer.from(s);

describe('AppLog raw mode', () => {
  it('writes bytes through, partial lines included, before write returns', () => {
    const f = setup({ noRecords: true });
    f.log.write('out', b('hello\nwor'));
    assert.equal(f.read(f.out), 'hello\nwor', 'a partial line is not held back');
    f.log.write('out', b('ld\n'));
    f.log.write('err', b('oops\n'));
    assert.equal(f.read(f.out), 'hello\nworld\n');
    assert.equal(f.read(f.err), 'oops\n');
    f.log.close();
  });

  it('terminates an open line at end of stream', () => {
    const f = setup();
    f.log.write('out', b('no newline'));
    f.log.endStream('out');
    f.log.endStream('out');
    assert.equal(f.read(f.out), 'no newline\n');
    assert.deepEqual(
      f.records.map((r) => r.message),
      ['no newline'],
    );
    f.log.close();
  });

  it('cuts a very long line at maxLineBytes, at a UTF-8 boundary', () => {
    const f = setup({ maxLineBytes: 10 });
    f.log.write('out', b('0123456789abcdefghij'));
    f.log.write('out', b('KLMN\n123456789é9\n'));
    f.log.close();
    assert.equal(f.read(f.out), '0123456789\nabcdefghij\nKLMN\n123456789\né9\n');
    assert.deepEqual(
      f.records.map((r) => r.message),
      ['0123456789', 'abcdefghij', 'KLMN', '123456789', 'é9'],
    );
  });

  it('prefixes each line with the arrival time of its first byte', () => {
    const f = setup({ spec: logSpec({ time: true }) });
    const t0 = f.clock.t;
    f.log.write('out', b('first '));
    f.clock.advance(1500);
    f.log.write('out', b('half\nsecond\nthi'));
    f.clock.advance(1000);
    f.log.write('out', b('rd\n'));
    f.log.close();
    const iso = (ms: number): string => new Date(ms).toISOString();
    assert.equal(f.read(f.out), `${iso(t0)}: first half\n${iso(t0 + 1500)}: second\n${iso(t0 + 1500)}: third\n`);
    assert.deepEqual(
      f.records.map((r) => r.time),
      [t0, t0 + 1500, t0 + 1500],
    );
    assert.deepEqual(
      f.records.map((r) => r.message),
      ['first half', 'second', 'third'],
    );
  });

  it('uses log_date_format in local time', () => {
    const f = setup({ spec: logSpec({ time: true, dateFormat: 'YYYY-MM-DD HH:mm:ss.SSS [at] Z' }) });
    f.clock.t = new Date(2024, 1, 3, 4, 5, 6, 7).getTime();
    f.log.write('out', b('x\n'));
    f.log.close();
    assert.match(f.read(f.out), /^2024-02-03 04:05:06\.007 at [+-]\d\d:\d\d: x\n$/);
  });

  it('never mixes two streams in one line of a merged file', () => {
    const f = setup({ spec: logSpec({ merge: true, time: true, dateFormat: '[T]' }) }, (dir) => {
      const one = join(dir, 'app.log');
      return { out: one, err: one, combined: null };
    });
    const file = f.log.paths.out ?? '';
    f.log.write('out', b('abc'));
    f.log.write('err', b('E1\n'));
    f.log.write('out', b('def\n'));
    f.log.write('err', b('E2\n'));
    f.log.close();
    assert.equal(f.read(file), 'T: abc\nT: E1\nT: def\nT: E2\n');
  });

  it("keeps err in its own file when merge is set (PM2's merge_logs only drops the per-id suffix)", () => {
    const f = setup({ spec: logSpec({ merge: true }) });
    f.log.write('err', b('to err\n'));
    assert.deepEqual(f.log.paths, { out: f.out, err: f.err, combined: null });
    f.log.close();
    assert.equal(f.read(f.err), 'to err\n');
    assert.equal(f.read(f.out), '');
  });

  it('lets instances share one file without mixing their lines', () => {
    const f = setup({ spec: logSpec({ merge: true }) });
    f.log.write('out', b('i0 part'), 0);
    f.log.write('out', b('i1 line\n'), 1);
    f.log.write('out', b(' rest\n'), 0);
    f.log.endStream('out', 1);
    f.log.close();
    assert.equal(f.read(f.out), 'i0 part\ni1 line\n rest\n');
    assert.deepEqual(
      f.records.map((r) => [r.id, r.message]),
      [
        [1, 'i1 line'],
        [0, 'i0 part rest'],
      ],
    );
  });

  it('writes both streams to a combined file as well', () => {
    const f = setup({}, (dir) => ({ out: join(dir, 'o.log'), err: join(dir, 'e.log'), combined: join(dir, 'all.log') }));
    f.log.write('out', b('o1\n'));
    f.log.write('err', b('e1\n'));
    const { out, err, combined } = f.log.paths;
    f.log.close();
    assert.equal(f.read(out ?? ''), 'o1\n');
    assert.equal(f.read(err ?? ''), 'e1\n');
    assert.equal(f.read(combined ?? ''), 'o1\ne1\n');
  });

  it('writes no file when disabled, but still builds records', () => {
    const f = setup({ spec: logSpec({ disabled: true }) });
    f.log.write('out', b('x\n'));
    f.log.close();
    assert.deepEqual(f.log.paths, { out: null, err: null, combined: null });
    assert.throws(() => readFileSync(f.out));
    assert.equal(f.records.length, 1);
  });

  it('builds records only while a listener is set', () => {
    const f = setup();
    f.log.setRecordListener(null);
    f.log.write('out', b('unseen\n'));
    const seen: string[] = [];
    f.log.setRecordListener((r) => seen.push(r.message));
    f.log.write('out', b('seen\n'));
    f.log.close();
    assert.deepEqual(seen, ['seen']);
    assert.equal(f.read(f.out), 'unseen\nseen\n');
  });

  it('rotates under a fast writer with a time prefix: every line once', () => {
    const f = setup({ spec: logSpec({ time: true, maxSizeBytes: 32 * 1024, retain: 1000 }), noRecords: true });
    const all = numberedLines(0, 20_000);
    for (let off = 0; off < all.length; off += 4093) f.log.write('out', all.subarray(off, off + 4093));
    f.log.close();
    const lines = readWholeLog(f.out).toString().split('\n');
    lines.pop();
    assert.equal(lines.length, 20_000);
    lines.forEach((l, i) => assert.equal(l.replace(/^[^ ]+: /, ''), numberedLine(i).slice(0, -1)));
    assert.ok(listArchivesSync(f.out).length > 50);
  });

  it('reports a write error through onError, keeps going, and recovers', () => {
    const errors: (string | null)[] = [];
    const f = setup({ onError: (m) => errors.push(m) });
    const dir = join(f.out, '..');
    f.log.write('out', b('one\n'));
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'a file where the log directory was');
    f.clock.advance(1000);
    assert.doesNotThrow(() => f.log.write('out', b('lost\n')));
    assert.equal(errors.length, 1);
    assert.match(f.log.error ?? '', /app-out\.log/);
    f.log.write('err', b('err lost\n'));
    assert.equal(errors.length, 2, 'the err file fails too');
    assert.equal(f.records.length, 3, 'followers still get lines');
    rmSync(dir);
    f.clock.advance(1000);
    f.log.write('out', b('two\n'));
    f.log.write('err', b('e2\n'));
    assert.equal(errors.at(-1), null);
    assert.equal(f.log.error, null);
    assert.equal(f.read(f.out), 'two\n');
    f.log.close();
  });

  it('flushes and reopens every file', () => {
    const f = setup({ spec: logSpec({ maxSizeBytes: 500 }) });
    f.log.write('out', numberedLines(0, 20));
    f.log.write('err', b('e\n'));
    assert.ok(f.log.flush() >= 3);
    assert.equal(f.read(f.out), '');
    assert.equal(listArchivesSync(f.out).length, 0);
    assert.equal(f.log.reopen(), 2);
    f.log.write('out', b('after\n'));
    f.log.close();
    f.log.close();
    assert.equal(f.read(f.out), 'after\n');
  });
});

describe('AppLog json mode', () => {
  it('writes one whole record per line, holding only a partial line', () => {
    const f = setup({ spec: logSpec({ type: 'json' }) });
    const t0 = f.clock.t;
    f.log.write('out', b('hel'));
    assert.equal(f.read(f.out), '', 'a record must be whole');
    f.clock.advance(5);
    f.log.write('out', b('lo\nsecond\n'));
    f.log.write('err', b('tail without newline'));
    f.log.endStream('err');
    f.log.close();
    const recs = f
      .read(f.out)
      .trim()
      .split('\n')
      .map((l) => parseJsonLine(l));
    assert.deepEqual(recs, [
      { time: t0, app: 'app', id: 3, stream: 'out', message: 'hello' },
      { time: t0 + 5, app: 'app', id: 3, stream: 'out', message: 'second' },
    ]);
    assert.deepEqual(parseJsonLine(f.read(f.err).trim())?.message, 'tail without newline');
    assert.match(f.read(f.out), /^\{"time":"\d{4}-\d\d-\d\dT[\d:.]+Z","app":"app","id":3,"stream":"out","message":"hello"\}\n/);
  });

  it('survives invalid UTF-8 and binary output', () => {
    const f = setup({ spec: logSpec({ type: 'json' }), maxLineBytes: 64 });
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x41, 0xc3, 0x0a, 0xe2, 0x82]);
    f.log.write('out', binary);
    f.log.write('out', Buffer.alloc(300, 0x01));
    f.log.endStream('out');
    f.log.close();
    const lines = f.read(f.out).trim().split('\n');
    const recs = lines.map((l) => parseJsonLine(l));
    assert.ok(recs.every((r) => r !== null));
    assert.equal(recs[0]?.message, '\u0000\ufffd\ufffd\u001b[A\ufffd');
    assert.equal(recs.length, 1 + Math.ceil((2 + 300) / 64));
    assert.deepEqual(
      f.records.map((r) => r.message),
      recs.map((r) => r?.message),
    );
  });
});
