import { request } from 'node:http';
import { createServer } from 'node:net';

/** A free loopback port: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** One GET to 127.0.0.1:port; resolves with the body, or null on any error (refused, reset, timeout). */
export function httpBody(port: number, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(res.statusCode === 200 ? Buffer.concat(chunks).toString('utf8') : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * Polls the port (every ~1 ms) until it answers HTTP 200 with a body satisfying `accept`.
 * Resolves with the body; rejects after timeoutMs.
 */
export async function waitForHttp(port: number, accept: (body: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await httpBody(port);
    if (body !== null && accept(body)) return body;
    if (Date.now() >= deadline) throw new Error(`port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
