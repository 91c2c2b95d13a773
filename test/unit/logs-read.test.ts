import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppLog } from '../../src/logs/app-log.js';
import { FileSink } from '../../src/logs/file-sink.js';
import { listArchives } from '../../src/logs/archive-names.js';
import { lineToRecord, mergeByTime, readRecords, tailLines } from '../../src/logs/read.js';
import type { LogRecord } from '../../src/protocol/logs.js';
import { FakeClock, logSpec, numberedLine, numberedLines, tempDir } from '../fixtures/logs/log-test-kit.js';

const text = (n: number): string => numberedLine(n).slice(0, -1);

describe('reading logs back', () => {
  it('tails across the live file and plain and gzipped archives', async () => {
    const file = join(tempDir(), 'app-out.log');
    const s = new FileSink({ path: file, maxSizeBytes: 1000, rotateInterval: 'none', retain: 50, compress: true });
    s.write(numberedLines(0, 300));
    s.write(Buffer.from('partial'));
    await s.idle();
    s.close();
    const archives = await listArchives(file);
    assert.ok(archives.length > 20);
    assert.ok(archives.every((a) => a.compressed));
    assert.deepEqual(
      archives.map((a) => a.stamp),
      [...archives.map((a) => a.stamp)].sort((x, y) => x - y),
    );
    const last = await tailLines(file, 45);
    assert.equal(last.length, 45);
    assert.equal(last.at(-1)?.text, 'partial');
    assert.deepEqual(
      last.slice(0, -1).map((l) => l.text),
      Array.from({ length: 44 }, (_, i) => text(256 + i)),
    );
    const everything = await tailLines(file, 10_000);
    assert.equal(everything.length, 301, 'all lines, none twice');
  });

  it('returns fewer lines when the log is short, none when missing', async () => {
    const dir = tempDir();
    const file = join(dir, 'short.log');
    writeFileSync(file, 'one\n\nthree\n');
    assert.deepEqual(
      (await tailLines(file, 10)).map((l) => l.text),
      ['one', '', 'three'],
    );
    assert.deepEqual(
      (await tailLines(file, 1)).map((l) => l.text),
      ['three'],
    );
    assert.deepEqual(await tailLines(join(dir, 'missing.log'), 5), []);
    writeFileSync(join(dir, 'empty.log'), '');
    assert.deepEqual(await tailLines(join(dir, 'empty.log'), 5), []);
  });

  it('joins a line that rotation split across two files', async () => {
    const file = join(tempDir(), 'split.log');
    const s = new FileSink({ path: file, maxSizeBytes: 50, rotateInterval: 'none', retain: 10, compress: false, lineSlackBytes: 0 });
    const long = 'z'.repeat(120);
    s.write(Buffer.from(`${long}\nend\n`));
    s.close();
    assert.ok((await listArchives(file)).length >= 2);
    assert.deepEqual(
      (await tailLines(file, 2)).map((l) => l.text),
      [long, 'end'],
    );
  });

  it('reads json records back, and recovers times of ISO-prefixed raw lines', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const json = join(dir, 'j.log');
    const log = new AppLog({
      app: 'j',
      id: 1,
      spec: logSpec({ type: 'json' }),
      files: { out: json, err: json, combined: null },
      now: clock.now,
    });
    log.write('out', Buffer.from('o1\n'));
    clock.advance(10);
    log.write('err', Buffer.from('e1\n'));
    log.close();
    const recs = await readRecords({ file: json, app: 'j', id: 1, stream: 'out', type: 'json' }, 10);
    assert.deepEqual(recs, [
      { time: clock.t - 10, app: 'j', id: 1, stream: 'out', message: 'o1' },
      { time: clock.t, app: 'j', id: 1, stream: 'err', message: 'e1' },
    ]);
    const raw = lineToRecord(
      { text: '2024-01-01T00:00:00.250Z: hello', fileTime: 5 },
      { file: '', app: 'r', id: 0, stream: 'err', type: 'raw' },
    );
    assert.deepEqual(raw, { time: Date.UTC(2024, 0, 1, 0, 0, 0, 250), app: 'r', id: 0, stream: 'err', message: 'hello' });
    const bare = lineToRecord({ text: 'no time', fileTime: 5 }, { file: '', app: 'r', id: 0, stream: 'out', type: 'raw' });
    assert.equal(bare.time, 5);
  });

  it('gives raw lines their file time: live mtime, archive stamp', async () => {
    const file = join(tempDir(), 'times.log');
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const s = new FileSink({ path: file, maxSizeBytes: 10, rotateInterval: 'none', retain: 5, compress: false, now: clock.now });
    s.write(Buffer.from('archived\n'));
    s.write(Buffer.from('live\n'));
    s.close();
    utimesSync(file, new Date(Date.UTC(2024, 0, 2)), new Date(Date.UTC(2024, 0, 2)));
    const lines = await tailLines(file, 5);
    assert.deepEqual(lines, [
      { text: 'archived', fileTime: Date.UTC(2024, 0, 1) },
      { text: 'live', fileTime: Date.UTC(2024, 0, 2) },
    ]);
  });

  it('merges apps in time order, keeping each list in its own order', () => {
    const r = (app: string, time: number, message: string): LogRecord => ({ time, app, id: 0, stream: 'out', message });
    const a = [r('a', 1, 'a1'), r('a', 5, 'a2'), r('a', 3, 'a3')];
    const b = [r('b', 2, 'b1'), r('b', 5, 'b2')];
    assert.deepEqual(
      mergeByTime([a, b]).map((x) => x.message),
      ['a1', 'b1', 'a2', 'a3', 'b2'],
    );
    assert.deepEqual(mergeByTime([]), []);
  });
});
