import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, waitFor } from '../helpers/tend.js';

const HOOK = join(ROOT, 'dist', 'worker-hook.cjs');

/** A plain app: `server.listen(PORT)`, nothing for tend; answers "<pid>" and says when it exits. */
const APP = `
const http = require('node:http');
http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT));
`;

function get(port: number, agent: http.Agent): Promise<{ body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ body, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

/** Whether a new TCP connection to the port is refused (nobody accepts there any more). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * The hook every fork-mode Node app runs with (worker-hook.ts + inherited-listen.ts), against a
 * real app process: its own `listen(PORT)` takes the socket handed to it instead of binding (the
 * port is held by this test meanwhile), the daemon is told it listens, and a retire drains a
 * keep-alive connection (Connection: close on its next response) before it says `drained`.
 */
describe('the fork-mode hook', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('listen(PORT) takes an inherited socket; retire closes keep-alive connections after their next response, then says drained', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const fd = (holder as unknown as { _handle: { fd: number } })._handle.fd;
    const child = spawn(process.execPath, ['--require', HOOK, '-e', APP], {
      // fd 3: the IPC channel, fd 4: the socket (as the daemon's spawn gives them).
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', fd],
      env: { ...process.env, PORT: String(port), TEND_INHERITED_FDS: JSON.stringify([{ fd: 4, port }]) },
    });
    children.push(child);
    const messages: unknown[] = [];
    child.on('message', (m) => messages.push(m));
    await waitFor(() => messages.some((m) => (m as { tend?: string }).tend === 'listening'), 'the app to say it listens', 30_000);
    assert.deepEqual(messages[0], { tend: 'listening', port });
    // Only the app accepts from now on (this test's copy closes; the socket stays open in the app).
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(port, agent);
    assert.equal(first.body, String(child.pid));
    assert.equal(first.connection, 'keep-alive');
    child.send({ tend: 'retire' });
    // The retire message travels on another channel than the request: wait until it took effect
    // (the app's servers stopped accepting, so a new connection is refused) before the next request.
    await waitFor(() => refused(port), 'the retired app to stop accepting', 30_000);
    const last = await get(port, agent);
    assert.equal(last.body, String(child.pid), 'the open keep-alive connection is still answered');
    assert.equal(last.connection, 'close', 'and closed after that response');
    await waitFor(() => messages.some((m) => (m as { tend?: string }).tend === 'drained'), 'the app to say it is drained', 30_000);
    agent.destroy();
    child.kill('SIGTERM');
  });

  it('does not keep a fork-mode app alive that is done (its IPC listener is not counted)', { timeout: 20_000 }, async () => {
    const child = spawn(process.execPath, ['--require', HOOK, '-e', 'setTimeout(() => {}, 10)'], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0);
  });

  it("a reload's new process stops itself if the daemon goes away before accepting it, and not after", { timeout: 30_000 }, async () => {
    // The app echoes messages and says when its channel closed (the hook's handlers run first).
    const app =
      "process.on('message', (m) => process.send({ echo: m })); process.on('disconnect', () => console.log('disconnected')); setInterval(() => {}, 1000);";
    const start = (): ChildProcess => {
      const child = spawn(process.execPath, ['--require', HOOK, '-e', app], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        env: { ...process.env, TEND_INHERITED_FDS: '[]' },
      });
      children.push(child);
      return child;
    };
    const orphan = start();
    const gone = new Promise<string | null>((resolve) => orphan.on('exit', (_code, signal) => resolve(signal)));
    orphan.disconnect();
    assert.equal(await gone, 'SIGTERM');
    const accepted = start();
    let out = '';
    accepted.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const echoed = new Promise((resolve) => accepted.once('message', resolve));
    accepted.send({ tend: 'accepted' });
    assert.deepEqual(await echoed, { echo: { tend: 'accepted' } });
    accepted.disconnect();
    await waitFor(() => out.includes('disconnected'), 'the app to see its channel close', 20_000);
    assert.equal(accepted.exitCode, null, 'an accepted process outlives its daemon');
    assert.equal(accepted.signalCode, null);
  });
});
