import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture, isAlive, waitFor, type ProcessJson } from '../helpers/tend.js';

/**
 * Sends raw bytes to the daemon socket and collects what it answers until it closes (or until
 * the answer contains `until`). The socket is destroyed on every path, a timeout included.
 */
function rawExchange(socketPath: string, payload: string | Buffer | null, timeoutMs = 10_000, until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let data = '';
    const finish = (err: Error | null): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err === null) resolve(data);
      else reject(err);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms (got: ${data.slice(0, 200)})`)), timeoutMs);
    sock.on('connect', () => {
      if (payload !== null) sock.write(payload);
    });
    sock.on('data', (d) => {
      data += d.toString();
      if (until !== undefined && data.includes(until)) finish(null);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => finish(null));
  });
}

/**
 * A daemon of another protocol version, as far as a CLI can tell: it listens on the home's
 * socket and answers the hello as a protocol-2 daemon does (the real CLI is tested against it).
 */
function otherVersionDaemon(socketPath: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((conn) => {
      conn.on('error', () => undefined);
      conn.once('data', () => {
        const error = {
          code: 'E_PROTOCOL_MISMATCH',
          message: 'this daemon speaks protocol 2, the client speaks 1',
          hint: 'Restart the daemon with the tend you are using: `tend daemon restart` (apps keep running).',
        };
        conn.end(`${JSON.stringify({ t: 'error', error })}\n`);
      });
    });
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

describe('bad input: a clear one-line error, a non-zero exit, nothing else touched', () => {
  let t: TendHome;
  let bystander: ProcessJson;
  let daemon: number;
  before(async () => {
    t = new TendHome({ TEND_HELLO_TIMEOUT_MS: '800' });
    [bystander] = (await t.json<ProcessJson[]>(['start', fixture('forever.js'), '--name', 'bystander'])) as [ProcessJson];
    daemon = t.daemonPid() as number;
  });
  after(async () => {
    await t.cleanup();
  });

  const cases: Array<[string, string[], number, RegExp]> = [
    ['a missing script', ['start', 'does-not-exist.js'], 2, /script not found: .*does-not-exist\.js/],
    ['a directory instead of a file', ['start', 'test/fixtures'], 2, /is a directory, not a script/],
    [
      'an unknown interpreter',
      ['start', '--interpreter', 'no-such-interp', fixture('forever.js')],
      2,
      /interpreter `no-such-interp` was not found/,
    ],
    ['an unknown command', ['start', '--', 'no-such-command-xyz'], 2, /command `no-such-command-xyz` was not found/],
    ['a duplicate name', ['start', fixture('forever.js'), '--name', 'bystander'], 1, /already running/],
    ['an unknown app to stop', ['stop', 'ghost'], 1, /no app matches `ghost`/],
    ['an unknown app to restart', ['restart', 'ghost'], 1, /no app matches `ghost`/],
    ['an unknown app to delete', ['delete', '42'], 1, /no app matches `42`/],
    ['an unknown app to describe', ['describe', 'ghost'], 1, /no app matches `ghost`/],
    ['an unknown app for logs', ['logs', 'ghost'], 1, /no app matches `ghost`/],
    ['an invalid signal name', ['signal', 'SIGNOPE', 'bystander'], 2, /signal name like SIGTERM/],
    [
      'a non-numeric timeout',
      ['start', fixture('forever.js'), '--kill-timeout', 'soon'],
      2,
      /Expected `kill_timeout` to be a non-negative duration/,
    ],
    ['a negative timeout', ['start', fixture('forever.js'), '--kill-timeout', '-5'], 2, /kill_timeout/],
    ['an unknown flag', ['start', fixture('forever.js'), '--bogus'], 2, /unknown option `--bogus`/],
    [
      'a misspelt flag',
      ['start', fixture('forever.js'), '--max-restart', '3'],
      2,
      /unknown option `--max-restart`; did you mean `--max-restarts`\?/,
    ],
    ['a misspelt command verb', ['restrat', 'all'], 2, /unknown command `restrat`; did you mean `restart`\?/],
    ['an unknown command verb', ['frobnicate'], 2, /unknown command `frobnicate`/],
  ];
  for (const [what, args, code, message] of cases) {
    it(`rejects ${what}`, async () => {
      const r = await t.run(args);
      assert.equal(r.code, code, `exit code for ${what}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, /^tend: .+ — .+/, 'says what to do');
    });
  }

  it('left the daemon and the other app untouched', async () => {
    // A daemon that crashed and re-adopted the app would show the same app: compare the daemon too.
    assert.equal(t.daemonPid(), daemon);
    assert.equal(isAlive(daemon), true);
    const list = await t.list();
    assert.deepEqual(
      list.map((a) => [a.name, a.pid, a.status, a.restarts, a.adopted]),
      [['bystander', bystander.pid, 'online', 0, false]],
    );
  });

  it('TEND_HOME pointing to a file or an unwritable place is reported', async () => {
    const file = join(t.home, 'a-file');
    writeFileSync(file, 'x');
    for (const home of [file, join(file, 'sub'), '/proc/tend-cannot-write-here']) {
      const r = await t.run(['list'], { env: { ...t.env, TEND_HOME: home } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /TEND_HOME .* (is a file|is not a directory|cannot be written)/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('the socket is private: dir 0700, socket 0600', () => {
    assert.equal(statSync(t.home).mode & 0o777, 0o700);
    assert.equal(statSync(join(t.home, 'daemon.sock')).mode & 0o777, 0o600);
  });

  it('garbage, a bad hello, an oversized frame and a silent client get closed; the daemon lives on', async () => {
    const sock = join(t.home, 'daemon.sock');
    const daemon = t.daemonPid() as number;
    const garbage = await rawExchange(sock, 'this is not json\n');
    assert.match(garbage, /"E_PROTOCOL"/);
    const noHello = await rawExchange(sock, '{"t":"req","id":1,"method":"process.list","params":{}}\n');
    assert.match(noHello, /expected a hello frame first/);
    const mismatch = await rawExchange(sock, '{"t":"hello","protocol":999,"agent":"test","pid":1}\n');
    assert.match(mismatch, /E_PROTOCOL_MISMATCH/);
    assert.match(mismatch, /tend daemon restart/);
    const huge = await rawExchange(sock, Buffer.alloc(2 * 1024 * 1024, 0x61));
    assert.match(huge, /E_FRAME_TOO_LARGE/);
    const silent = await rawExchange(sock, null);
    assert.match(silent, /no hello received in time/);
    const unknownMethod = await rawExchange(
      sock,
      '{"t":"hello","protocol":1,"agent":"t","pid":1}\n{"t":"req","id":7,"method":"nope","params":{}}\n',
      10_000,
      '"id":7',
    );
    assert.match(unknownMethod, /unknown request method `nope`/);
    assert.equal(isAlive(daemon), true);
    assert.equal(t.daemonPid(), daemon);
    assert.equal((await t.list()).length, 1);
  });

  it('a stale socket and pid file left by a dead daemon are cleaned with a message', async () => {
    const daemon = t.daemonPid() as number;
    process.kill(daemon, 'SIGKILL');
    await waitFor(() => !isAlive(daemon), 'the daemon to die');
    const r = await t.run(['ping']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /removed a stale pid file left by a dead daemon \(pid \d+\)/);
    assert.match(r.stderr, /removed a stale socket/);
    assert.equal((await t.app('bystander')).pid, bystander.pid);
  });

  it('a CLI of another protocol version is told what to do (exit 3, one line)', async () => {
    const other = new TendHome();
    const server = await otherVersionDaemon(join(other.home, 'daemon.sock'));
    try {
      const r = await other.run(['ping']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^tend: this daemon speaks protocol 2, the client speaks 1 — .*tend daemon restart/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    } finally {
      await new Promise((r) => server.close(r));
      await other.cleanup();
    }
  });

  it('a daemon that cannot start exits 3 with the reason, and leaves no daemon behind', async () => {
    const broken = new TendHome({ TEND_DAEMON_NODE_FLAGS: '--no-such-node-flag' });
    try {
      const r = await broken.run(['list']);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^tend: the daemon exited during start-up \(code \d+\) — See .*daemon\.log/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(broken.daemonPid(), null);
    } finally {
      await broken.cleanup();
    }
  });
});
