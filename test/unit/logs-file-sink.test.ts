import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { listArchivesSync } from '../../src/logs/archive-names.js';
import { FileSink, type FileSinkOptions } from '../../src/logs/file-sink.js';
import { FakeClock, filesIn, numberedLine, numberedLines, readWholeLog, tempDir } from '../fixtures/logs/log-test-kit.js';

function sink(path: string, over: Partial<FileSinkOptions> = {}): FileSink {
  return new FileSink({ path, maxSizeBytes: 0, rotateInterval: 'none', retain: 5, compress: false, ...over });
}

/** Asserts the log holds lines 0..count-1 exactly once each, in order. */
function assertNumbered(file: string, count: number): void {
  const lines = readWholeLog(file).toString().split('\n');
  assert.equal(lines.pop(), '', 'the log ends with a newline');
  assert.equal(lines.length, count);
  lines.forEach((l, i) => assert.equal(l, numberedLine(i).slice(0, -1)));
}

describe('FileSink', () => {
  it('creates the file 0640 and a missing directory 0700', () => {
    const dir = tempDir();
    const file = join(dir, 'new', 'deeper', 'a.log');
    const s = sink(file);
    s.write(Buffer.from('hi\n'));
    s.close();
    assert.equal(statSync(file).mode & 0o777 & ~0o640, 0);
    assert.equal(statSync(join(dir, 'new')).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8'), 'hi\n');
  });

  it('rotates a fast writer: every line once, archives and sizes within limits', () => {
    const file = join(tempDir(), 'fast.log');
    const max = 64 * 1024;
    const retain = 1000;
    const s = sink(file, { maxSizeBytes: max, retain });
    const total = 50_000;
    // Chunks of irregular sizes, most of them ending mid-line, like reads from a pipe.
    const all = numberedLines(0, total);
    for (let off = 0, k = 0; off < all.length; k += 1) {
      const n = 1 + ((k * 7919) % 9000);
      s.write(all.subarray(off, off + n));
      off += n;
    }
    s.close();
    assertNumbered(file, total);
    const archives = listArchivesSync(file);
    assert.ok(archives.length >= Math.floor(all.length / max) - 1, `rotated ${archives.length} times`);
    for (const a of archives) {
      const data = readFileSync(a.path);
      assert.ok(data.length <= max, `${a.path} is ${data.length} bytes`);
      assert.equal(data[data.length - 1], 0x0a, 'archives end at a line boundary');
    }
  });

  it('keeps only the newest `retain` archives', () => {
    const dir = tempDir();
    const file = join(dir, 'r.log');
    const s = sink(file, { maxSizeBytes: 1000, retain: 3 });
    s.write(numberedLines(0, 200));
    s.close();
    assert.equal(listArchivesSync(file).length, 3);
    const kept = readWholeLog(file).toString().split('\n').filter(Boolean);
    assert.equal(kept.at(-1), numberedLine(199).slice(0, -1));
    assert.ok(kept.length <= 4 * 10, 'disk use is bounded by (retain + 1) × max');
    assert.deepEqual(
      filesIn(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('lets a line longer than the limit go on in the next file', () => {
    const file = join(tempDir(), 'long.log');
    const s = sink(file, { maxSizeBytes: 100, retain: 10, lineSlackBytes: 50 });
    const long = `${'y'.repeat(450)}\n`;
    s.write(Buffer.from(`short\n${long}after\n`));
    s.close();
    assert.equal(readWholeLog(file).toString(), `short\n${long}after\n`);
    for (const a of listArchivesSync(file)) assert.ok(statSync(a.path).size <= 100);
  });

  it('keeps a line whole when it passes the limit by less than the slack', () => {
    const file = join(tempDir(), 'slack.log');
    const s = sink(file, { maxSizeBytes: 100, retain: 10, lineSlackBytes: 1000 });
    s.write(Buffer.from('a'.repeat(90)));
    s.write(Buffer.from(`${'b'.repeat(40)}\nnext\n`));
    s.close();
    const [first] = listArchivesSync(file);
    assert.equal(readFileSync(first?.path ?? '', 'utf8'), `${'a'.repeat(90)}${'b'.repeat(40)}\n`);
    assert.equal(readFileSync(file, 'utf8'), 'next\n');
  });

  it('rotates hourly on the local clock, at a line boundary, skipping empty files', () => {
    const file = join(tempDir(), 'hourly.log');
    const clock = new FakeClock(new Date(2024, 0, 15, 10, 59, 0, 0).getTime());
    const s = sink(file, { rotateInterval: 'hourly', now: clock.now });
    s.write(Buffer.from('before\nhalf'));
    clock.advance(2 * 60_000);
    s.checkTime();
    assert.equal(listArchivesSync(file).length, 0, 'mid-line: rotation waits for the line to end');
    s.write(Buffer.from(' line\nnew hour\n'));
    const archives = listArchivesSync(file);
    assert.equal(archives.length, 1);
    assert.equal(readFileSync(archives[0]?.path ?? '', 'utf8'), 'before\nhalf line\n');
    assert.equal(readFileSync(file, 'utf8'), 'new hour\n');
    clock.advance(60 * 60_000);
    s.checkTime();
    assert.equal(listArchivesSync(file).length, 2, 'checkTime rotates an idle file at a boundary');
    clock.advance(60 * 60_000);
    s.checkTime();
    assert.equal(listArchivesSync(file).length, 2, 'an empty file is not archived');
    s.close();
  });

  it('names archives with a UTC stamp that sorts in time order, resolving collisions', () => {
    const file = join(tempDir(), 'names.log');
    const clock = new FakeClock(Date.UTC(2024, 4, 6, 7, 8, 9, 10));
    const s = sink(file, { maxSizeBytes: 10, retain: 10, now: clock.now });
    s.write(Buffer.from('0123456789\n'.repeat(4)));
    s.close();
    const names = listArchivesSync(file).map((a) => a.path.slice(file.length + 1));
    assert.deepEqual(names, ['20240506T070809.010', '20240506T070809.011', '20240506T070809.012']);
    assert.equal(readFileSync(file, 'utf8'), '0123456789\n');
  });

  it('reports an unwritable directory, drops output without throwing, and recovers', () => {
    const dir = tempDir();
    const logDir = join(dir, 'logs');
    const file = join(logDir, 'a.log');
    const clock = new FakeClock();
    const errors: (string | null)[] = [];
    const s = sink(file, { now: clock.now, onError: (m) => errors.push(m) });
    s.write(Buffer.from('one\n'));
    // Tests run as root, where chmod does not stop writes: make the directory a regular file.
    rmSync(logDir, { recursive: true });
    writeFileSync(logDir, 'not a directory');
    clock.advance(1000);
    s.write(Buffer.from('lost\n'));
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /cannot write log file .*a\.log/);
    assert.ok(s.error !== null);
    s.write(Buffer.from('lost too\n'));
    assert.equal(errors.length, 1, 'reported once');
    rmSync(logDir);
    s.write(Buffer.from('still lost: retry waits a second\n'));
    clock.advance(1000);
    s.write(Buffer.from('two\n'));
    assert.deepEqual(errors, [errors[0], null]);
    assert.equal(s.error, null);
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
    assert.ok(s.droppedBytes > 0);
    s.close();
  });

  it('recreates a removed log directory on the next check', () => {
    const dir = tempDir();
    const file = join(dir, 'gone', 'a.log');
    const clock = new FakeClock();
    const s = sink(file, { now: clock.now });
    s.write(Buffer.from('one\n'));
    rmSync(join(dir, 'gone'), { recursive: true });
    clock.advance(1000);
    s.write(Buffer.from('two\n'));
    s.close();
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
  });

  it('reopens after an external rename (logrotate with `create`)', () => {
    const file = join(tempDir(), 'ext.log');
    const s = sink(file);
    s.write(Buffer.from('old\n'));
    renameSync(file, `${file}.1`);
    s.write(Buffer.from('still old file\n'));
    assert.equal(s.reopen(), true);
    s.write(Buffer.from('new\n'));
    s.close();
    assert.equal(readFileSync(`${file}.1`, 'utf8'), 'old\nstill old file\n');
    assert.equal(readFileSync(file, 'utf8'), 'new\n');
  });

  it('follows an external rename by itself within a second', () => {
    const file = join(tempDir(), 'ext2.log');
    const clock = new FakeClock();
    const s = sink(file, { now: clock.now });
    s.write(Buffer.from('old\n'));
    renameSync(file, `${file}.1`);
    clock.advance(1000);
    s.write(Buffer.from('new\n'));
    s.close();
    assert.equal(readFileSync(file, 'utf8'), 'new\n');
  });

  it('flushes while writing: later lines kept, archives gone, no holes', () => {
    const file = join(tempDir(), 'flush.log');
    const s = sink(file, { maxSizeBytes: 2000, retain: 5 });
    s.write(numberedLines(0, 100));
    assert.ok(listArchivesSync(file).length > 0);
    const touched = s.flush();
    assert.ok(touched >= 2);
    s.write(numberedLines(100, 103));
    s.close();
    assert.equal(listArchivesSync(file).length, 0);
    assert.equal(readFileSync(file, 'utf8'), numberedLines(100, 103).toString());
  });

  it('compresses archives into valid .gz files, keeping `retain`', async () => {
    const dir = tempDir();
    const file = join(dir, 'gz.log');
    const s = sink(file, { maxSizeBytes: 1000, retain: 2, compress: true });
    s.write(numberedLines(0, 50));
    s.close();
    await s.idle();
    const archives = listArchivesSync(file);
    assert.equal(archives.length, 2);
    for (const a of archives) {
      assert.ok(a.compressed, a.path);
      assert.ok(gunzipSync(readFileSync(a.path)).toString().endsWith('\n'));
    }
    const lines = readWholeLog(file).toString().split('\n').filter(Boolean);
    assert.equal(lines.at(-1), numberedLine(49).slice(0, -1));
    assert.deepEqual(
      filesIn(dir).filter((f) => !f.endsWith('.gz') && f !== 'gz.log'),
      [],
    );
  });

  it('recovers from a crash mid-compression', async () => {
    const dir = tempDir();
    const file = join(dir, 'c.log');
    const plain = `${file}.20240101T000000.000`;
    writeFileSync(plain, 'archived\n');
    writeFileSync(`${plain}.gz.tmp`, 'torn');
    const done = `${file}.20240101T000001.000`;
    writeFileSync(done, 'both\n');
    writeFileSync(`${done}.gz`, Buffer.alloc(0));
    const s = sink(file, { compress: true });
    await s.idle();
    s.close();
    assert.ok(!existsSync(`${plain}.gz.tmp`));
    assert.ok(!existsSync(done), 'a plain archive whose .gz exists is removed');
    assert.equal(gunzipSync(readFileSync(`${plain}.gz`)).toString(), 'archived\n');
  });

  it('is closed idempotently and ignores writes after close', () => {
    const file = join(tempDir(), 'closed.log');
    const s = sink(file);
    s.close();
    s.close();
    s.write(Buffer.from('x\n'));
    assert.equal(readFileSync(file, 'utf8'), '');
  });
});
