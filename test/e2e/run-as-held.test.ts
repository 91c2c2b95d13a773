import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import { ROOT, TendHome, fixture, freePort, httpGet, waitFor, type ProcessJson } from '../helpers/tend.js';
import { commandMissing, needs } from '../helpers/needs.js';
import { asRoot, ThrowawayUsers } from '../helpers/throwaway-users.js';

/** Attaches to a PTY app through its socket as `tend attach` does; resolves with what the screen and output showed after typing. */
function attachAndType(socket: string, typed: string, expect: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(socket);
    let seen = '';
    let buffered = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no ${String(expect)} through the attach socket; it showed: ${seen}`));
    }, 15_000);
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('connect', () => sock.write(`${JSON.stringify({ t: 'hello', protocol: 1, cols: 100, rows: 30 })}\n`));
    sock.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const frame = JSON.parse(line) as { t: string; data?: string };
        if (frame.t === 'screen') sock.write(`${JSON.stringify({ t: 'in', data: `${typed}\r` })}\n`);
        if (typeof frame.data === 'string') seen += frame.data;
      }
      if (expect.test(seen)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(seen);
      }
    });
  });
}

/** A TCP port below 1024 that nothing holds on 127.0.0.1 (the test runs as root). */
async function lowFreePort(): Promise<number> {
  for (let port = 1023; port > 900; port--) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port between 901 and 1023');
}

const withPython = needs(asRoot.missing ?? commandMissing('python3', ['-c', 'import socket']));

describe('a root tend runs cluster, listen and pty apps, hooks and exec checks as the app’s user', () => {
  const accounts = new ThrowawayUsers(2);
  const [userA, userB] = accounts.users as [string, string];
  const dir = mkdtempSync(join(tmpdir(), 'tend-run-as-held-'));
  const t = new TendHome();

  asRoot.before(async () => {
    chmodSync(dir, 0o1777);
    await accounts.create();
  });
  asRoot.after(async () => {
    await t.cleanup();
    await accounts.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  asRoot.it('holders and workers run as the user; attach, send, logs, scale and a daemon restart work; no other user gets in', async () => {
    const port = await freePort();
    const script = JSON.stringify(fixture('who-am-i.js'));
    const probe = JSON.stringify(join(t.home, 'state.json'));
    const app = (name: string, user: string, extra: string): string =>
      `{ name: '${name}', script: ${script}, cwd: '/', uid: '${user}', env: { PROBE_FILE: ${probe} }, ${extra} }`;
    const file = join(dir, 'held.config.js');
    writeFileSync(
      file,
      `module.exports = { apps: [${[
        app('cl', userA, "instances: 2, exec_mode: 'cluster'"),
        app('ls', userB, `listen: ['127.0.0.1:${port}']`),
        app('pt', userA, 'pty: true'),
      ].join(', ')}] };\n`,
    );
    const started = await t.json<ProcessJson[]>(['start', file]);
    assert.equal(started.length, 3, JSON.stringify(started));
    const rows = await waitFor(async () => {
      const list = await t.list();
      return list.every((r) => r.status === 'online' && r.pid !== null) ? list : undefined;
    }, 'every row online');
    const owner = { cl: userA, ls: userB, pt: userA } as Record<string, string>;
    const holders = new Map<string, number>();
    for (const row of rows) {
      const user = owner[row.name] as string;
      const pid = row.pid as number;
      await accounts.assertRunsAs(pid, user, `${row.name} (${pid})`);
      // A cluster or listen app's worker is the child of its holder, which runs as the user too.
      if (row.name !== 'pt') {
        const holder = (row as ProcessJson & { holderPid: number }).holderPid;
        assert.equal(Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]), holder, `${row.name}: its holder`);
        holders.set(row.name, holder);
        await accounts.assertRunsAs(holder, user, `${row.name}'s holder (${holder})`);
      }
      const out = join(t.home, 'logs', `${row.name}-out.log`);
      await waitFor(() => readFileSync(out, 'utf8').includes('probe: '), `${row.name}: its first lines`);
      assert.match(readFileSync(out, 'utf8'), /probe: EACCES/, `${row.name}: the daemon's home is closed to it`);
      const uid = await accounts.id(user, '-u');
      assert.equal(statSync(out).uid, uid, `${row.name}: its log file`);
    }
    for (const name of ['cl', 'ls', 'pt']) {
      const id = (rows.find((r) => r.name === name) as ProcessJson).id;
      const own = statSync(join(t.home, 'holders', `${id}.d`));
      assert.equal(own.uid, await accounts.id(owner[name] as string, '-u'), `${name}: its holder's folder`);
      assert.equal(own.mode & 0o777, 0o700, `${name}: its holder's folder is closed to others`);
      for (const stream of ['in', 'out', 'err'])
        assert.equal(statSync(join(t.home, 'pipes', `${id}.${stream}`)).uid, own.uid, `${name}: FIFO ${stream}`);
    }
    // No user signals the other's processes, holders included.
    const pt = rows.find((r) => r.name === 'pt') as ProcessJson;
    const ls = rows.find((r) => r.name === 'ls') as ProcessJson;
    assert.equal(await accounts.canSignal(userB, pt.pid as number), false, 'B signalled the pty app');
    assert.equal(await accounts.canSignal(userB, holders.get('cl') as number), false, "B signalled A's cluster holder");
    assert.equal(await accounts.canSignal(userA, ls.pid as number), false, "A signalled B's listen app");
    assert.equal(await accounts.canSignal(userA, holders.get('ls') as number), false, "A signalled B's listen holder");

    // send and logs, then attach to the pty app through its socket.
    for (const name of ['cl', 'ls', 'pt']) {
      const sent = await t.run(['send', name, `hello-${name}`]);
      assert.equal(sent.code, 0, sent.stderr);
      await waitFor(
        async () => (await t.run(['logs', name, '--lines', '40', '--nostream'])).stdout.includes(`got hello-${name}`),
        `${name}: send`,
      );
    }
    const seen = await attachAndType(join(t.home, 'pty', `${pt.id}.sock`), 'typed-in', /got typed-in/);
    assert.match(seen, new RegExp(`Uid: ${await accounts.id(userA, '-u')} `), 'the attached screen shows the app as its user');

    // A daemon restart re-adopts the holders through their sockets: scale reaches the cluster holder.
    const restarted = await t.run(['daemon', 'restart']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const scaled = await t.run(['scale', 'cl', '3']);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const workers = await waitFor(async () => {
      const cl = (await t.list()).filter((r) => r.name === 'cl' && r.status === 'online' && r.pid !== null);
      return cl.length === 3 ? cl : undefined;
    }, 'three cluster workers after the scale');
    for (const w of workers) await accounts.assertRunsAs(w.pid as number, userA, `cl worker ${w.pid}`);
    const again = await attachAndType(join(t.home, 'pty', `${pt.id}.sock`), 'after-restart', /got after-restart/);
    assert.match(again, /got after-restart/);

    // A's holder may point its socket, in A's folder, at B's holder: the daemon (root) follows
    // the link, meets a holder with another pid, and does not take it for A's.
    const clId = (rows.find((r) => r.name === 'cl') as ProcessJson).id;
    const clSocket = join(t.home, 'holders', `${clId}.d`, 'holder.sock');
    unlinkSync(clSocket);
    symlinkSync(join(t.home, 'holders', `${ls.id}.d`, 'holder.sock'), clSocket);
    assert.equal((await t.run(['daemon', 'restart'])).code, 0);
    await waitFor(() => readFileSync(join(t.home, 'daemon.log'), 'utf8').includes('holder-impostor'), 'the daemon to refuse the impostor');
    const lsPids = (await t.list()).filter((r) => r.name === 'ls').map((r) => r.pid);
    for (const r of (await t.list()).filter((x) => x.name === 'cl')) assert.ok(!lsPids.includes(r.pid), `cl shows ls's worker ${r.pid}`);

    // Deleting the apps removes their folders.
    const deleted = await t.run(['delete', 'all']);
    assert.equal(deleted.code, 0, deleted.stderr);
    for (const row of rows) assert.equal(existsSync(join(t.home, 'holders', `${row.id}.d`)), false, `${row.name}: folder left`);
    assert.throws(() => lstatSync(join(t.home, 'pty', `${pt.id}.sock`)), /ENOENT/, 'the attach symlink is left');
  });

  // The Python example: LISTEN_FDS, and READY=1 on NOTIFY_SOCKET, a socket in the holder's folder.
  withPython.it('a listen app as another user binds a port below 1024 and says it is ready (wait_ready)', async () => {
    const port = await lowFreePort();
    const file = join(dir, 'low.config.js');
    const app = {
      name: 'low',
      script: join(ROOT, 'examples', 'python-socket', 'app.py'),
      interpreter: 'python3',
      cwd: '/',
      uid: userB,
      listen: [`127.0.0.1:${port}`],
      wait_ready: true,
      listen_timeout: 15_000,
    };
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify(app)}] };\n`);
    const r = await t.run(['start', file]);
    assert.equal(r.code, 0, r.stderr);
    const row = await t.app('low');
    assert.equal(row.status, 'online', 'ready (wait_ready) before listen_timeout');
    await accounts.assertRunsAs(row.pid as number, userB, 'low');
    const body = await httpGet(port);
    assert.match(body ?? '', /^hello from python, pid \d+/, `err log: ${readFileSync(join(t.home, 'logs', 'low-error.log'), 'utf8')}`);
    assert.equal((await t.run(['delete', 'low'])).code, 0);
  });

  asRoot.it('hooks and exec health checks of an app with uid run as its user', async () => {
    const hookOut = join(dir, 'hook-uid');
    const checkOut = join(dir, 'check-uid');
    const file = join(dir, 'hooks.config.js');
    writeFileSync(
      file,
      `module.exports = { apps: [{ name: 'hooked', script: 'sleep', args: '1000', cwd: '/', uid: '${userB}',
        hooks: { online: ${JSON.stringify(`id -u > ${hookOut}.tmp; id -G >> ${hookOut}.tmp; mv ${hookOut}.tmp ${hookOut}`)} },
        health: { exec: ${JSON.stringify(`id -u > ${checkOut}.tmp; mv ${checkOut}.tmp ${checkOut}`)}, interval: '1s' } }] };\n`,
    );
    const r = await t.run(['start', file]);
    assert.equal(r.code, 0, r.stderr);
    const uid = await accounts.id(userB, '-u');
    const hook = await waitFor(() => (existsSync(hookOut) ? readFileSync(hookOut, 'utf8') : undefined), 'the online hook', 20_000);
    const [hookUid, hookGroups] = hook.trim().split('\n');
    assert.equal(Number(hookUid), uid, 'the hook ran as root');
    assert.ok(
      (hookGroups ?? '')
        .split(' ')
        .map(Number)
        .includes(await accounts.groupId()),
      `the hook's groups: ${hookGroups}`,
    );
    const check = await waitFor(() => (existsSync(checkOut) ? readFileSync(checkOut, 'utf8') : undefined), 'the exec check', 20_000);
    assert.equal(Number(check.trim()), uid, 'the exec check ran as root');
  });
});
