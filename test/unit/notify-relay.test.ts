import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe } from 'node:test';
import { needs } from '../helpers/needs.js';
import { openRelayCount, startNotifyRelay } from '../../src/holder/notify-relay.js';
import { waitFor } from '../helpers/tend.js';

/** A real sd_notify client, found on the runner's PATH before the test hides it. */
function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

const systemdNotify = which('systemd-notify');
const python = which('python3');
const missing =
  systemdNotify === null ? 'systemd-notify (package systemd) is not installed' : python === null ? 'python3 is not installed' : '';

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 10_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${file}: ${err.message} ${stderr}`)) : resolve(),
    );
  });
}

const req = needs(missing === '' ? null : missing);

describe('NOTIFY_SOCKET relay: no interpreter, real sd_notify clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tend-notify-'));
  const savedPath = process.env.PATH;
  after(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  req.it('binds with no perl (or anything else) on PATH and relays systemd-notify --ready and a python datagram', async () => {
    assert.equal(missing, '', missing);
    const empty = join(dir, 'empty-bin');
    process.env.PATH = empty; // an interpreter looked up on PATH is not found
    const seenA: string[] = [];
    const seenB: string[] = [];
    const a = await startNotifyRelay(join(dir, 'a.notify'), (l) => seenA.push(l));
    const b = await startNotifyRelay(join(dir, 'b.notify'), (l) => seenB.push(l));
    process.env.PATH = savedPath;
    try {
      await run(systemdNotify as string, ['--ready'], { PATH: empty, NOTIFY_SOCKET: a.path });
      await waitFor(() => seenA.includes('READY=1'), 'READY=1 from systemd-notify');
      const py =
        'import os,socket\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.sendto(b"STATUS=warming\\nREADY=1",os.environ["NOTIFY_SOCKET"])\n';
      await run(python as string, ['-c', py], { NOTIFY_SOCKET: b.path });
      await waitFor(() => seenB.includes('READY=1'), 'READY=1 from python');
      assert.deepEqual(seenB, ['STATUS=warming', 'READY=1'], 'one datagram of two lines gives two lines, to its own relay only');
      assert.ok(!seenA.includes('STATUS=warming'));
    } finally {
      a.close();
      b.close();
    }

    assert.equal(openRelayCount(), 0);
    assert.ok(!existsSync(a.path) && !existsSync(b.path), 'close() removes the socket files');
  });

  req.it('refuses a socket path too long for sockaddr_un with a message saying what to do', async () => {
    await assert.rejects(
      startNotifyRelay(join(dir, 'x'.repeat(120)), () => undefined),
      /longer than 107 bytes; use a shorter TEND_HOME/,
    );
  });
});
