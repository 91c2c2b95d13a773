import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openListenSockets } from '../../src/holder/listen-sockets.js';
import { checkPortsFree } from '../../src/lib/listen-address.js';

/** A port this test holds: listening on 127.0.0.1. */
function hold(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a !== null ? a.port : 0 });
    });
  });
}

describe('a listen address another socket holds', () => {
  let held: { server: Server; port: number };
  before(async () => {
    held = await hold();
  });
  after(() => new Promise<void>((r) => held.server.close(() => r())));

  it('the holder refuses it with one line naming the port, never a random port on every interface', () => {
    assert.throws(
      () => openListenSockets([`127.0.0.1:${held.port}`]),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'E_PORT_IN_USE');
        assert.equal(err.message, `cannot listen on 127.0.0.1:${held.port}: port ${held.port} is already in use`);
        return true;
      },
    );
    // Every interface (no host) conflicts with the held 127.0.0.1 socket too.
    assert.throws(() => openListenSockets([String(held.port)]), /already in use|EADDRINUSE/);
  });

  it('a free port next to a taken one: nothing stays open when one fails', async () => {
    const free = await hold();
    const port = free.port;
    await new Promise<void>((r) => free.server.close(() => r()));
    assert.throws(() => openListenSockets([`127.0.0.1:${port}`, `127.0.0.1:${held.port}`]), /already in use/);
    // The first one was let go: it can be bound again.
    const again = openListenSockets([`127.0.0.1:${port}`]);
    assert.equal(again.length, 1);
    for (const s of again) s.close();
  });

  it('the daemon checks before it starts an app (E_PORT_IN_USE), and passes a free port', async () => {
    await assert.rejects(
      checkPortsFree([`127.0.0.1:${held.port}`]),
      (err: Error & { code?: string }) => err.code === 'E_PORT_IN_USE' && err.message.includes(`port ${held.port}`),
    );
    await assert.rejects(checkPortsFree([`localhost:${held.port}`]), /already in use/);
    await checkPortsFree(['unix:/tmp/whatever.sock']);
  });
});
