import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, freePort, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';
import { countNumbered, logFiles, numberedGaps, readAllLogText, sizeOf, waitDrained } from '../helpers/log-files.js';

describe('logs: rotation, formats, reading, followers', () => {
  let t: TendHome;
  before(() => {
    t = new TendHome();
  });
  after(async () => {
    await t.cleanup();
  });

  it('rotates under a fast writer: every line exactly once across archives, sizes and counts within limits', async () => {
    const count = 300_000; // ~3.4 MB
    await t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'fast',
      '--env',
      `COUNT=${count}`,
      '--env',
      'BURST=5000',
      '--log-max-size',
      '256K',
      '--log-retain',
      '100',
    ]);
    const out = join(t.home, 'logs', 'fast-out.log');
    const text = await waitFor(
      () => {
        const all = readAllLogText(out);
        return all.endsWith(`line ${count}\n`) ? all : undefined;
      },
      'all lines in the logs',
      30_000,
    );
    const r = countNumbered(text);
    assert.equal(r.error, null);
    assert.equal(r.count, count);
    const files = logFiles(out);
    assert.ok(files.length > 10, `expected many archives, got ${files.length}`);
    for (const f of files) assert.ok(sizeOf(f) <= 256 * 1024 + 64 * 1024, `${f} is ${sizeOf(f)} bytes`);
  });

  it('keeps only --log-retain archives, so disk use is bounded', async () => {
    await t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'bounded',
      '--env',
      'COUNT=200000',
      '--env',
      'BURST=5000',
      '--log-max-size',
      '128K',
      '--log-retain',
      '3',
    ]);
    const out = join(t.home, 'logs', 'bounded-out.log');
    await waitFor(() => readFileSync(out, 'utf8').endsWith('line 200000\n'), 'the last line', 30_000);
    const files = logFiles(out);
    assert.equal(files.length, 4, `3 archives + the live file, got ${files.join(', ')}`);
    const total = files.reduce((n, f) => n + sizeOf(f), 0);
    assert.ok(total <= 4 * (128 * 1024 + 64 * 1024), `total ${total}`);
    // What is kept is the newest, still in order.
    const text = readAllLogText(out);
    const nums = text
      .trim()
      .split('\n')
      .map((l) => Number(l.slice(5)));
    nums.forEach((n, i) => i > 0 && assert.equal(n, (nums[i - 1] as number) + 1));
    assert.equal(nums.at(-1), 200000);
  });

  it('`tend logs` reads across rotation and after the app stopped', async () => {
    await t.json(['stop', 'fast']);
    const r = await t.run(['logs', 'fast', '--no-follow', '--lines', '5', '--raw']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['line 299996', 'line 299997', 'line 299998', 'line 299999', 'line 300000']);
    const j = await t.run(['logs', 'fast', '--no-follow', '--lines', '2', '--json']);
    const recs = j.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { app: string; stream: string; message: string });
    assert.deepEqual(
      recs.map((x) => [x.app, x.stream, x.message]),
      [
        ['fast', 'out', 'line 299999'],
        ['fast', 'out', 'line 300000'],
      ],
    );
    const g = await t.run(['logs', 'fast', '--no-follow', '--lines', '3', '--raw', '--grep', '^line 12345\\d$']);
    assert.deepEqual(g.stdout.trim().split('\n'), ['line 123457', 'line 123458', 'line 123459']);
  });

  it('interleaves several apps in time order, with a name| prefix', async () => {
    // zeta and alpha take turns (each line waits for the other's previous one to be logged), so
    // the time order is z1 a1 z2 a2 z3 a3: neither the order of the names given nor alphabetical.
    const log = (name: string) => join(t.home, 'logs', `${name}-out.log`);
    await t.json([
      'start',
      fixture('take-turns.js'),
      '--name',
      'zeta',
      '--time',
      '--env',
      'ME=z',
      '--env',
      'OTHER=a',
      '--env',
      `OTHER_LOG=${log('alpha')}`,
      '--env',
      'FIRST=1',
    ]);
    await t.json([
      'start',
      fixture('take-turns.js'),
      '--name',
      'alpha',
      '--time',
      '--env',
      'ME=a',
      '--env',
      'OTHER=z',
      '--env',
      `OTHER_LOG=${log('zeta')}`,
    ]);
    await waitFor(() => readFileSync(log('alpha'), 'utf8').includes('a3\n'), 'the last turn');
    const j = await t.run(['logs', 'alpha', 'zeta', '--no-follow', '--lines', '3', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const recs = j.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { app: string; message: string });
    assert.deepEqual(
      recs.map((x) => `${x.app}:${x.message}`),
      ['zeta:z1', 'alpha:a1', 'zeta:z2', 'alpha:a2', 'zeta:z3', 'alpha:a3'],
    );
    const r = await t.run(['logs', 'alpha', 'zeta', '--no-follow', '--lines', '3']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['zeta| z1', 'alpha| a1', 'zeta| z2', 'alpha| a2', 'zeta| z3', 'alpha| a3']);
    await t.json(['delete', 'alpha', 'zeta']);
  });

  it('a pooled app (cluster, --listen) shows each line of its shared log once, by name and by instance id', async () => {
    const kinds: Array<[string, string[]]> = [
      ['pc', []],
      ['pl', ['--listen', `127.0.0.1:${await freePort()}`]],
    ];
    for (const [name, extra] of kinds) {
      const rows = await t.json<ProcessJson[]>(['start', fixture('stdin-instance.js'), '--name', name, '-i', '2', ...extra]);
      assert.equal(rows.length, 2, JSON.stringify(rows));
      for (const r of rows) await t.run(['send', String(r.id), 'hello']);
      const file = join(t.home, 'logs', `${name}-out.log`);
      await waitFor(
        () =>
          readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l.endsWith('got: hello')).length === 2,
        `${name}: both lines`,
      );
      const want = [`${name}| 0 got: hello`, `${name}| 1 got: hello`];
      for (const target of [name, String(rows[1]?.id), `${name} ${String(rows[0]?.id)}`]) {
        const r = await t.run(['logs', ...target.split(' '), '--nostream', '--out']);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split('\n').sort(), want, `tend logs ${target}`);
      }
      await t.json(['delete', name]);
    }
  });

  it('writes --time prefixes and --log-type json records; a partial last line is terminated at exit', async () => {
    await t.json(['start', '--name', 'stamped', '--time', '--no-autorestart', '--', 'sh', '-c', 'echo first; printf partial']);
    await t.json(['start', '--name', 'jsonl', '--log-type', 'json', '--no-autorestart', '--', 'sh', '-c', 'echo hello; echo oops >&2']);
    const stamped = await waitFor(() => {
      const s = readFileSync(join(t.home, 'logs', 'stamped-out.log'), 'utf8');
      return s.includes('partial\n') ? s : undefined;
    }, 'the stamped lines');
    for (const line of stamped.trim().split('\n')) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: (first|partial)$/);
    const rec = await waitFor(() => {
      const s = readFileSync(join(t.home, 'logs', 'jsonl-error.log'), 'utf8');
      return s.length > 0 ? (JSON.parse(s.trim()) as Record<string, unknown>) : undefined;
    }, 'the json record');
    assert.equal(rec.app, 'jsonl');
    assert.equal(rec.stream, 'err');
    assert.equal(rec.message, 'oops');
    assert.equal(typeof rec.time, 'string');
  });

  it('flush empties logs while the app runs; reopen follows an external rename', async () => {
    await t.json(['start', fixture('numbered-lines.js'), '--name', 'rot', '--env', 'INTERVAL_MS=20']);
    const out = join(t.home, 'logs', 'rot-out.log');
    await waitFor(() => sizeOf(out) > 100, 'some lines');
    const f = await t.json<{ files: number }>(['flush', 'rot']);
    assert.ok(f.files >= 1);
    assert.ok(sizeOf(out) < 100, 'flushed');
    await waitFor(() => sizeOf(out) > 50, 'lines after the flush');
    renameSync(out, `${out}.external`);
    const r = await t.run(['logs', '--reopen']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => sizeOf(out) > 50, 'lines in the reopened file');
    const moved = readFileSync(`${out}.external`, 'utf8').trim().split('\n').at(-1) as string;
    const fresh = readFileSync(out, 'utf8').split('\n')[0] as string;
    assert.equal(Number(fresh.slice(5)), Number(moved.slice(5)) + 1, 'no line lost or doubled across the reopen');
    process.kill(t.daemonPid() as number, 'SIGUSR2');
    await waitFor(() => readFileSync(join(t.home, 'daemon.log'), 'utf8').includes('logs-reopened'), 'SIGUSR2 reopen');
    await t.json(['delete', 'rot']);
  });

  it('an unwritable log dir is reported, the app keeps running, and writing resumes', async () => {
    const dir = join(t.home, 'custom');
    mkdirSync(dir);
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'homeless',
      '--env',
      'INTERVAL_MS=20',
      '--out-file',
      join(dir, 'out.log'),
    ]);
    await waitFor(() => sizeOf(join(dir, 'out.log')) > 0, 'first lines');
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a directory');
    const d = await waitFor(async () => {
      const [x] = await t.json<Array<{ logError: string | null }>>(['describe', 'homeless']);
      return x?.logError !== null ? x : undefined;
    }, 'the log error to show in describe');
    assert.ok(d.logError);
    assert.ok(isAlive(p?.pid as number));
    assert.equal((await t.app('homeless')).status, 'online');
    rmSync(dir);
    mkdirSync(dir);
    await waitFor(() => sizeOf(join(dir, 'out.log')) > 0, 'writing to resume', 15_000);
    await waitFor(
      async () => ((await t.json<Array<{ logError: string | null }>>(['describe', 'homeless']))[0]?.logError === null ? true : undefined),
      'the error to clear',
    );
    await t.json(['delete', 'homeless']);
  });

  it('a follower that never reads is dropped and does not hold the app back', async () => {
    // A raw client subscribes and then never reads its socket (destroyed on every path).
    const sock = connect(join(t.home, 'daemon.sock'));
    sock.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('could not connect to the daemon socket')), 10_000);
        sock.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      sock.write(
        '{"t":"hello","protocol":1,"agent":"stuck","pid":1}\n{"t":"req","id":1,"method":"logs.subscribe","params":{"target":"all","streams":["out","err"]}}\n',
      );
      sock.pause();
      const count = 200_000;
      await t.json([
        'start',
        fixture('numbered-lines.js'),
        '--name',
        'busy',
        '--env',
        `COUNT=${count}`,
        '--env',
        'BURST=5000',
        '--log-max-size',
        '100M',
      ]);
      const out = join(t.home, 'logs', 'busy-out.log');
      await waitFor(() => readFileSync(out, 'utf8').endsWith(`line ${count}\n`), 'all lines despite the stuck follower', 60_000);
      const closed = await waitFor(
        () => (sock.destroyed || sock.readableEnded || sock.closed ? true : (sock.resume(), undefined)),
        'the stuck follower to be disconnected',
        10_000,
      );
      assert.ok(closed);
      assert.match(readFileSync(join(t.home, 'daemon.log'), 'utf8'), /"event":"follower-dropped"/);
    } finally {
      sock.destroy();
    }
    await t.json(['delete', 'busy']);
  });

  it('kill -9 of the daemon with rotation on: every line the app printed while no daemon ran is kept', async () => {
    const count = 150_000;
    const [p] = await t.json<ProcessJson[]>([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'survivor',
      '--env',
      `COUNT=${count}`,
      '--env',
      'BURST=500',
      '--env',
      'INTERVAL_MS=2',
      '--log-max-size',
      '200K',
      '--log-retain',
      '1000',
    ]);
    const out = join(t.home, 'logs', 'survivor-out.log');
    await waitFor(() => readAllLogText(out).includes('line 20000\n'), 'some lines');
    // Pause the app until the daemon has written all it read, so the kill falls between reads;
    // the app then writes on into the pipe while no daemon runs.
    process.kill(p?.pid as number, 'SIGSTOP');
    await waitDrained(out);
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    process.kill(p?.pid as number, 'SIGCONT');
    await t.list();
    const text = await waitFor(
      () => {
        const all = readAllLogText(out);
        return all.endsWith(`line ${count}\n`) ? all : undefined;
      },
      'every line after re-adoption',
      30_000,
    );
    const r = countNumbered(text);
    assert.equal(r.error, null);
    assert.equal(r.count, count);
  });

  it('kill -9 of the daemon in the middle of full-speed writes: order kept, nothing lost, nothing doubled', async () => {
    const count = 150_000;
    await t.json([
      'start',
      fixture('numbered-lines.js'),
      '--name',
      'midwrite',
      '--env',
      `COUNT=${count}`,
      '--env',
      'BURST=500',
      '--env',
      'INTERVAL_MS=1',
      '--log-max-size',
      '200K',
      '--log-retain',
      '1000',
    ]);
    const out = join(t.home, 'logs', 'midwrite-out.log');
    await waitFor(() => readAllLogText(out).includes('line 20000\n'), 'some lines');
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    await t.list();
    const text = await waitFor(
      () => {
        const all = readAllLogText(out);
        return all.endsWith(`line ${count}\n`) ? all : undefined;
      },
      'the last line after re-adoption',
      30_000,
    );
    // Bytes leave the pipe only into the spool, and the journal undoes an unfinished write: none lost.
    const r = numberedGaps(text);
    assert.equal(r.error, null);
    assert.deepEqual(r.gaps, [], `gaps: ${JSON.stringify(r.gaps)}`);
  });
});
