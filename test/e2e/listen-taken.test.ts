import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TendHome, fixture } from '../helpers/tend.js';

describe('tend start --listen on a port another process holds', () => {
  const t = new TendHome();
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    port = typeof a === 'object' && a !== null ? a.port : 0;
  });
  after(async () => {
    await t.cleanup();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('fails with a one-line error naming the port, and starts nothing', async () => {
    const r = await t.run(['start', fixture('forever.js'), '--name', 'web', '--listen', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('hint') && !/^\s/.test(l));
    assert.match(lines[0] ?? '', new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`));
    // Refused before anything started: no app, no holder, so no socket on a random port either.
    assert.deepEqual(await t.list(), []);
  });
});
