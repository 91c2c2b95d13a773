import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'node:test';
import { acceptWithCopiedReads, copiedReads } from '../../src/holder/socket-reads.js';

/** A loopback server whose accepted connections go through acceptWithCopiedReads; resolves its port. */
function server(
  onChunk: (sock: () => net.Socket, chunk: Buffer) => void,
): Promise<{ port: number; server: net.Server; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const srv = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (raw) => {
    let sock: net.Socket | null = null;
    sock = acceptWithCopiedReads(raw, (chunk) => onChunk(() => sock as net.Socket, chunk));
    accepted.push(sock);
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, server: srv, accepted })),
  );
}

describe('socket reads into one shared buffer (proxy mode)', () => {
  it('hands every byte over once, in order, each chunk its own copy, with pauses in between', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const chunks: Buffer[] = [];
    let pauses = 0;
    const {
      port,
      server: srv,
      accepted,
    } = await server((sock, chunk) => {
      chunks.push(chunk);
      // Pause now and then from inside the callback, as the proxy does when a write backs up.
      if (chunks.length % 16 === 0) {
        pauses += 1;
        sock().pause();
        setTimeout(() => sock().resume(), 1);
      }
    });
    const ended = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (accepted[0]?.readableEnded === true) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    await new Promise<void>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1' }, () => c.end(payload, () => resolve()));
    });
    await ended;
    assert.ok(chunks.length > 16, `read in many chunks (${chunks.length})`);
    assert.ok(pauses > 0);
    // Had a chunk been the shared buffer itself, later reads would have overwritten it.
    assert.equal(Buffer.compare(Buffer.concat(chunks), payload), 0);
    for (const s of accepted) s.destroy();
    srv.close();
  });

  it('reads an outgoing connection the same way, and the accepted socket writes back', async () => {
    const { port, server: srv, accepted } = await server((sock, chunk) => sock().write(chunk));
    const got: Buffer[] = [];
    const text = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(200);
    await new Promise<void>((resolve) => {
      const c = net.connect({
        port,
        host: '127.0.0.1',
        onread: copiedReads((chunk) => {
          got.push(chunk);
          if (Buffer.concat(got).length === text.length) {
            c.destroy();
            resolve();
          }
        }),
      });
      c.on('connect', () => c.write(text));
    });
    assert.equal(Buffer.concat(got).toString('latin1'), text);
    for (const s of accepted) s.destroy();
    srv.close();
  });

  it("falls back to 'data' events when the socket has no handle to take", async () => {
    const { port, server: srv } = await server(() => undefined);
    const plain = new net.Socket();
    const got: Buffer[] = [];
    assert.equal(
      acceptWithCopiedReads(plain, (c) => got.push(c)),
      plain,
    );
    plain.connect(port, '127.0.0.1');
    plain.emit('data', Buffer.from('x'));
    assert.deepEqual(got, [Buffer.from('x')]);
    plain.destroy();
    srv.close();
  });
});
