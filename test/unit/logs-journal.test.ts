import assert from 'node:assert/strict';
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  writeSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LogJournal, type FileEnd, type SpoolMark } from '../../src/logs/log-journal.js';

describe('LogJournal: the log write a killed daemon left unfinished', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-journal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const setup = (): { log: string; spool: string; journal: string; mark(): SpoolMark; end(): FileEnd } => {
    n += 1;
    const log = join(dir, `app-${n}.log`);
    const spool = join(dir, `${n}.out.spool`);
    writeFileSync(log, 'one\n');
    writeFileSync(spool, 'two\nthree\n');
    const mark = (): SpoolMark => ({ path: spool, ino: statSync(spool).ino, size: statSync(spool).size });
    const end = (): FileEnd => ({ path: log, ino: statSync(log).ino, size: statSync(log).size });
    return { log, spool, journal: join(dir, `journal-${n}`), mark, end };
  };
  const notices: string[] = [];

  it('cuts a file back to where it ended when the spool was not emptied (the write may be half done)', () => {
    const f = setup();
    new LogJournal(f.journal, (m) => notices.push(m)).begin(f.mark(), [f.end()]);
    appendFileSync(f.log, 'two\nth'); // killed here
    const done = new LogJournal(f.journal, (m) => notices.push(m)).recover();
    assert.equal(readFileSync(f.log, 'utf8'), 'one\n');
    assert.equal(done.length, 1);
    // Recovered once: a second daemon does not cut again (the spool is replayed in between).
    appendFileSync(f.log, 'two\nthree\n');
    assert.deepEqual(new LogJournal(f.journal, (m) => notices.push(m)).recover(), []);
    assert.equal(readFileSync(f.log, 'utf8'), 'one\ntwo\nthree\n');
  });

  it('leaves a finished write alone: its spool was emptied, or replaced by a new file', () => {
    const f = setup();
    const j = new LogJournal(f.journal, (m) => notices.push(m));
    j.begin(f.mark(), [f.end()]);
    appendFileSync(f.log, 'two\nthree\n');
    truncateSync(f.spool, 0);
    assert.deepEqual(new LogJournal(f.journal, (m) => notices.push(m)).recover(), []);
    assert.equal(readFileSync(f.log, 'utf8'), 'one\ntwo\nthree\n');

    const g = setup();
    new LogJournal(g.journal, (m) => notices.push(m)).begin(g.mark(), [g.end()]);
    appendFileSync(g.log, 'two\n');
    // json keeps its open line: a new spool holding only "three\n" was renamed over the old one.
    writeFileSync(`${g.spool}.next`, 'three\n');
    renameSync(`${g.spool}.next`, g.spool);
    assert.deepEqual(new LogJournal(g.journal, (m) => notices.push(m)).recover(), []);
    assert.equal(readFileSync(g.log, 'utf8'), 'one\ntwo\n');
  });

  it('does not undo an ended write whose spool was refilled to the same size', () => {
    const f = setup();
    const j = new LogJournal(f.journal, (m) => notices.push(m));
    j.begin(f.mark(), [f.end()]);
    appendFileSync(f.log, 'two\nthree\n');
    truncateSync(f.spool, 0);
    j.end();
    writeFileSync(f.spool, 'four\nfive\n'); // as many bytes as before; killed before the next record
    assert.deepEqual(new LogJournal(f.journal, (m) => notices.push(m)).recover(), []);
    assert.equal(readFileSync(f.log, 'utf8'), 'one\ntwo\nthree\n');
  });

  it('undoes a rotation made during the write: the archive goes back to the live path, cut back', () => {
    const f = setup();
    const j = new LogJournal(f.journal, (m) => notices.push(m));
    j.begin(f.mark(), [f.end()]);
    appendFileSync(f.log, 'two\n');
    const archive = `${f.log}.20261207-120000`;
    j.rotating(f.log, archive);
    renameSync(f.log, archive);
    writeFileSync(f.log, 'thr'); // killed here
    new LogJournal(f.journal, (m) => notices.push(m)).recover();
    assert.equal(readFileSync(f.log, 'utf8'), 'one\n');
    assert.equal(existsSync(archive), false);
  });

  it('removes a file the write created, and ignores a torn or foreign journal', () => {
    const f = setup();
    const fresh = join(dir, 'fresh.log');
    new LogJournal(f.journal, (m) => notices.push(m)).begin(f.mark(), [{ path: fresh, ino: -1, size: 0 }]);
    writeFileSync(fresh, 'two\n');
    new LogJournal(f.journal, (m) => notices.push(m)).recover();
    assert.equal(existsSync(fresh), false);

    const g = setup();
    writeFileSync(g.journal, Buffer.concat([Buffer.from([40, 0, 0, 0, 1, 2, 3, 4]), Buffer.from('{"seq":9,"spool":null')]));
    assert.deepEqual(new LogJournal(g.journal, (m) => notices.push(m)).recover(), []);
    assert.equal(readFileSync(g.log, 'utf8'), 'one\n');
    assert.deepEqual(notices, []);
  });
  it('allocates both record slots when a daemon starts, keeping a record an older daemon left', () => {
    const f = setup();
    // An unfinished write in a journal an older daemon made sparse (only its records' pages).
    new LogJournal(f.journal, (m) => notices.push(m)).begin(f.mark(), [f.end()]);
    appendFileSync(f.log, 'two\n');
    const whole = readFileSync(f.journal);
    rmSync(f.journal);
    const fd = openSync(f.journal, 'w');
    for (const at of [0, 64 * 1024]) writeSync(fd, whole, at, 4096, at);
    closeSync(fd);
    assert.ok(statSync(f.journal).blocks * 512 < 128 * 1024, 'sparse, as an older daemon left it');
    const done = new LogJournal(f.journal, (m) => notices.push(m)).recover();
    assert.equal(done.length, 1, 'the record read before the slots were filled');
    assert.equal(readFileSync(f.log, 'utf8'), 'one\n');
    assert.ok(statSync(f.journal).blocks * 512 >= 128 * 1024, `${statSync(f.journal).blocks * 512} bytes allocated`);
    assert.equal(statSync(f.journal).size, 128 * 1024);
  });
});
