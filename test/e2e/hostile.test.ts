import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fnv1a64 } from '../../src/store/paths.js';
import { TendHome, fixture, isAlive, type ProcessJson } from '../helpers/tend.js';
import { needs, rootMissing } from '../helpers/needs.js';

const NOBODY = 65534;

/** Speaks the protocol by hand: hello, then `frames` (raw text); resolves with every line answered until close. */
function rawSession(
  socketPath: string,
  frames: string[],
  opts: { trickle?: string; timeoutMs?: number } = {},
): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let data = '';
    let trickler: NodeJS.Timeout | null = null;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close from the daemon; got ${data}`));
    }, opts.timeoutMs ?? 10_000);
    sock.on('connect', () => {
      sock.write(`${JSON.stringify({ t: 'hello', protocol: 1, agent: 'test', pid: process.pid })}\n`);
      for (const f of frames) sock.write(`${f}\n`);
      if (opts.trickle !== undefined) {
        let i = 0;
        const text = opts.trickle;
        trickler = setInterval(() => {
          if (i < text.length && !sock.destroyed) sock.write(text[i++] as string);
        }, 100);
      }
    });
    sock.on('data', (d) => {
      data += d.toString();
      // One answer per request is all a request test needs.
      if (
        opts.trickle === undefined &&
        frames.length > 0 &&
        data.split('\n').filter((l) => l.includes('"t":"res"')).length >= frames.length
      )
        sock.end();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      if (trickler !== null) clearInterval(trickler);
      resolve(
        data
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
    });
  });
}

/** The spec the CLI built for an app, as a foreign client could send it back. */
async function specOf(t: TendHome, name: string): Promise<Record<string, unknown>> {
  const [d] = await t.json<Array<{ spec: Record<string, unknown> }>>(['describe', name, '--show-secrets']);
  return d?.spec as Record<string, unknown>;
}

describe('hostile homes, specs and clients', () => {
  let t: TendHome;
  let daemon: number;
  before(async () => {
    t = new TendHome({ TEND_REQUEST_TIMEOUT_MS: '600' });
    await t.json<ProcessJson[]>([
      'start',
      fixture('forever.js'),
      '--name',
      'bystander',
      '--env',
      'REDIS_URL=redis://:hunter2@db.local:6379/0',
      '--env',
      'MONGO_URI=mongodb://u:s3cret@m/x',
    ]);
    daemon = t.daemonPid() as number;
    t.track(daemon);
  });
  after(async () => {
    await t.cleanup();
  });

  async function assertUntouched(): Promise<void> {
    assert.equal(t.daemonPid(), daemon, 'the same daemon (not a crashed and re-launched one)');
    assert.ok(isAlive(daemon));
    const b = await t.app('bystander');
    assert.equal(b.status, 'online');
  }

  it('a spec with a wrong-typed field from the socket is refused, and the daemon lives on', async () => {
    const spec = { ...(await specOf(t, 'bystander')), name: 'typed', stopExitCodes: 5 };
    const [, res] = await rawSession(join(t.home, 'daemon.sock'), [
      JSON.stringify({ t: 'req', id: 1, method: 'process.start', params: { spec } }),
    ]);
    assert.equal(res?.ok, false);
    assert.match(JSON.stringify(res?.error), /E_INVALID_VALUE.*stopExitCodes/);
    await assertUntouched();
    assert.equal(
      (await t.list()).some((p) => p.name === 'typed'),
      false,
    );
  });

  it("a process.apply that does not name its verb (an old client's restart/reload booleans) is refused; the app is untouched", async () => {
    const spec = await specOf(t, 'bystander');
    const pid = (await t.app('bystander')).pid;
    for (const params of [
      { spec, restart: true, reload: true },
      { spec, mode: 'deploy' },
    ]) {
      const [, res] = await rawSession(join(t.home, 'daemon.sock'), [JSON.stringify({ t: 'req', id: 1, method: 'process.apply', params })]);
      assert.equal(res?.ok, false);
      assert.match(JSON.stringify(res?.error), /E_USAGE.*mode.*apply, start, restart, reload/);
    }
    await assertUntouched();
    assert.equal((await t.app('bystander')).pid, pid);
  });

  it('a name that escapes the home is refused from the socket and from an edited dump.json', async () => {
    const outside = join(tmpdir(), `tend-escape-${randomBytes(4).toString('hex')}`);
    const name = `../../../../../../..${outside}`;
    const spec = { ...(await specOf(t, 'bystander')), name };
    const [, res] = await rawSession(join(t.home, 'daemon.sock'), [
      JSON.stringify({ t: 'req', id: 1, method: 'process.start', params: { spec } }),
    ]);
    assert.equal(res?.ok, false);
    assert.match(JSON.stringify(res?.error), /invalid app name/);
    assert.equal(existsSync(`${outside}-out.log`), false);
    // The same through a hand-edited dump: resurrect refuses it, nothing is written outside.
    assert.equal((await t.run(['save'])).code, 0);
    const dumpPath = join(t.home, 'dump.json');
    const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as { apps: Array<Record<string, unknown>>; ids?: number[] };
    dump.apps.push({ ...dump.apps[0], name });
    dump.ids?.push(99);
    writeFileSync(dumpPath, JSON.stringify(dump));
    const r = await t.run(['resurrect']);
    assert.match(r.stdout + r.stderr, /invalid app name/);
    assert.equal(existsSync(`${outside}-out.log`), false);
    await assertUntouched();
  });

  it('describe and list redact passwords inside URL-shaped values', async () => {
    const r = await t.run(['describe', 'bystander']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /REDIS_URL=redis:\/\/:\[redacted\]@db\.local:6379\/0/);
    assert.match(r.stdout, /MONGO_URI=mongodb:\/\/u:\[redacted\]@m\/x/);
    assert.doesNotMatch(r.stdout, /hunter2|s3cret/);
    const shown = await t.run(['describe', 'bystander', '--show-secrets']);
    assert.match(shown.stdout, /hunter2/);
  });

  it('a client that trickles a request is disconnected at the request deadline', async () => {
    const answers = await rawSession(join(t.home, 'daemon.sock'), [], {
      trickle: '{"t":"req","id":1,"method":"process.list","params":{}}'.padEnd(400, ' '),
    });
    const err = answers.find((a) => a.t === 'error');
    assert.match(JSON.stringify(err), /E_TIMEOUT.*not completed within 600 ms/);
    await assertUntouched();
  });

  it('a wrong-typed status.json entry: list still answers, one table, no stack trace', async () => {
    const status = JSON.parse(readFileSync(join(t.home, 'status.json'), 'utf8')) as { apps: Array<Record<string, unknown>> };
    status.apps = [{ ...status.apps[0], name: 42, restarts: 'many', lastExit: 'x' }];
    writeFileSync(join(t.home, 'status.json'), JSON.stringify(status));
    const r = await t.run(['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error| {4}at /);
    assert.match(r.stdout, /bystander/);
  });

  it('an argument exec(2) would refuse (E2BIG) is refused up front with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-e2big-'));
    try {
      writeFileSync(
        join(dir, 'apps.json'),
        JSON.stringify({ apps: [{ name: 'big', script: fixture('forever.js'), args: ['x'.repeat(500_000)] }] }),
      );
      const r = await t.run(['start', join(dir, 'apps.json')]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /500000 bytes.*E2BIG/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      // Many values each under the exec limit, together over the 1 MiB message limit.
      const env = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`BIG_${i}`, 'y'.repeat(120_000)]));
      writeFileSync(join(dir, 'wide.json'), JSON.stringify({ apps: [{ name: 'wide', script: fixture('forever.js'), env }] }));
      const w = await t.run(['start', join(dir, 'wide.json')]);
      assert.equal(w.code, 2, w.stderr);
      assert.match(
        w.stderr,
        /request is \d+ bytes, over the 1048576-byte limit of one message; nothing was sent — .*pass large data through a file/,
      );
      await assertUntouched();
      assert.deepEqual(
        (await t.list()).map((p) => p.name),
        ['bystander'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a relative or too long TEND_HOME is refused with a one-line error (exit 2)', async () => {
    const rel = await t.run(['list'], { env: { ...t.env, TEND_HOME: 'relative-home' } });
    assert.equal(rel.code, 2);
    assert.match(rel.stderr, /TEND_HOME must be an absolute path, got `relative-home`/);
    const long = join(tmpdir(), 'x'.repeat(100));
    const r = await t.run(['list'], { env: { ...t.env, TEND_HOME: long } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TEND_HOME is too long: its socket path would be \d+ bytes/);
    assert.equal(existsSync(long), false, 'nothing created');
  });
});

// Skipped per test (counted in the totals), not per suite.
const rootOnly = needs(rootMissing('chown to another user'));

describe('homes other users own or can write', () => {
  const homes: TendHome[] = [];
  after(async () => {
    for (const h of homes) await h.cleanup();
  });

  rootOnly.it('refuses a home owned by another user, or writable by others, saying how to fix it', async () => {
    const t = new TendHome();
    homes.push(t);
    chownSync(t.home, NOBODY, NOBODY);
    const r = await t.run(['list']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TEND_HOME .* is owned by uid 65534, not by you \(uid 0\); refusing to use it — Run `chown -R 0 /);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    chownSync(t.home, 0, 0);
    chmodSync(t.home, 0o777);
    const w = await t.run(['ping']);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /can be written by other users \(mode 0777\).*chmod 700/);
    chmodSync(t.home, 0o700);
  });

  rootOnly.it('refuses a dump.json another user put in the home: their command never runs as us', async () => {
    const t = new TendHome();
    homes.push(t);
    await t.json(['start', fixture('forever.js'), '--name', 'mine']);
    assert.equal((await t.run(['save'])).code, 0);
    const marker = join(t.home, 'pwned');
    const dumpPath = join(t.home, 'dump.json');
    const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as { apps: Array<Record<string, unknown>>; ids?: number[] };
    dump.apps = [
      { ...dump.apps[0], name: 'evil', exec: { script: `touch ${marker}`, args: [], interpreter: null, interpreterArgs: [], shell: true } },
    ];
    writeFileSync(dumpPath, JSON.stringify(dump));
    chownSync(dumpPath, NOBODY, NOBODY);
    await t.run(['delete', 'all']);
    const r = await t.run(['resurrect']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /dump\.json is owned by uid 65534/);
    assert.equal(existsSync(marker), false);
    assert.equal((await t.list()).length, 0);
  });

  rootOnly.it('another user cannot take the daemon lock: binding the old predictable name blocks nothing', async () => {
    const t = new TendHome();
    homes.push(t);
    // What an attacker could compute before: the abstract name from the home's path.
    const oldName = `\0tend-daemon-${fnv1a64(t.home)}`;
    const squatter = spawn(
      process.execPath,
      [
        '-e',
        `
      const net = require('node:net');
      let lockId = 'unreadable';
      try { lockId = require('node:fs').readFileSync(${JSON.stringify(join(t.home, 'lock-id'))}, 'utf8'); } catch (e) { lockId = e.code; }
      net.createServer().listen(${JSON.stringify(oldName)}, () => console.log('bound ' + lockId));
    `,
      ],
      { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    t.track(squatter.pid as number);
    try {
      const out = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error('the squatter did not bind')), 10_000);
        squatter.stdout?.once('data', (d: Buffer) => {
          clearTimeout(timer);
          res(d.toString());
        });
      });
      assert.match(out, /bound EACCES/, "the lock id is out of another user's reach");
      const r = await t.run(['start', fixture('forever.js'), '--name', 'ok'], { timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stderr);
      const lockFile = join(t.home, 'lock-id');
      assert.equal(readFileSync(lockFile, 'utf8').trim().length, 32);
    } finally {
      squatter.kill('SIGKILL');
    }
  });
});
