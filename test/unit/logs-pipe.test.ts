import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppLog } from '../../src/logs/app-log.js';
import { listArchivesSync } from '../../src/logs/archive-names.js';
import { tailLines } from '../../src/logs/read.js';
import { logSpec, numberedLine, readWholeLog, tempDir } from '../fixtures/logs/log-test-kit.js';

// A child printing numbered lines as fast as a pipe takes them, then a last line without newline.
const SPAM = `
const total = Number(process.argv[1]);
let i = 0;
function pump() {
  while (i < total) {
    let s = '';
    for (let k = 0; k < 97 && i < total; k += 1, i += 1) {
      const head = 'line ' + String(i).padStart(7, '0') + ' ';
      s += head + 'x'.repeat(100 - head.length - 1) + '\\n';
    }
    if (!process.stdout.write(s)) return process.stdout.once('drain', pump);
  }
  process.stdout.write('end without newline');
  process.stderr.write('bye\\n');
}
pump();
`;

describe('AppLog fed by a real process', () => {
  it('keeps every line of a fast writer across rotation and compression', async () => {
    const dir = tempDir();
    const out = join(dir, 'spam-out.log');
    const err = join(dir, 'spam-err.log');
    const total = 100_000;
    const log = new AppLog({
      app: 'spam',
      id: 0,
      spec: logSpec({ maxSizeBytes: 256 * 1024, retain: 100, compress: true }),
      files: { out, err, combined: null },
    });
    const child = spawn(process.execPath, ['-e', SPAM, String(total)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => log.write('out', c));
    child.stderr.on('data', (c: Buffer) => log.write('err', c));
    await Promise.all([new Promise((r) => child.stdout.on('end', r)), new Promise((r) => child.stderr.on('end', r))]);
    log.endStream('out');
    log.endStream('err');
    log.close();
    await log.idle();
    const lines = readWholeLog(out).toString().split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.pop(), 'end without newline');
    assert.equal(lines.length, total);
    lines.forEach((l, i) => {
      if (l !== numberedLine(i).slice(0, -1)) assert.fail(`line ${i} is ${JSON.stringify(l.slice(0, 40))}`);
    });
    const archives = listArchivesSync(out);
    assert.ok(archives.length >= 30 && archives.every((a) => a.compressed));
    const tail = await tailLines(out, 3);
    assert.deepEqual(
      tail.map((l) => l.text),
      [numberedLine(total - 2).slice(0, -1), numberedLine(total - 1).slice(0, -1), 'end without newline'],
    );
    assert.equal(readWholeLog(err).toString(), 'bye\n');
  });
});
