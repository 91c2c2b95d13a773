import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '../../src/protocol/frames.js';
import { encodeFrame, FrameDecoder } from '../../src/rpc/framing.js';
import { RpcServer, type Handlers } from '../../src/rpc/server.js';

describe('the control socket with many pipelined requests', () => {
  it('handles them in order over several event-loop turns, so other work runs in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tend-rpc-turns-'));
    const handled: number[] = [];
    // Work that becomes due while the requests are handled (a spawn finishing, a timer).
    let otherWorkRanAfter = -1;
    const handlers = {
      'daemon.info': (params: { n: number }) => {
        if (handled.length === 0) setImmediate(() => (otherWorkRanAfter = handled.length));
        handled.push(params.n);
        return { n: params.n };
      },
    } as unknown as Handlers;
    const server = new RpcServer({ socketPath: join(dir, 's.sock'), handlers, agent: 'test', log: () => undefined });
    await server.listen();
    const socket = connect(join(dir, 's.sock'));
    try {
      const count = 200;
      const frames = [encodeFrame({ t: 'hello', protocol: PROTOCOL_VERSION, agent: 'test' })];
      for (let n = 0; n < count; n++) frames.push(encodeFrame({ t: 'req', id: n + 1, method: 'daemon.info', params: { n } }));
      const answers: Array<{ id: number; ok: boolean }> = [];
      const decoder = new FrameDecoder(1 << 20);
      const done = new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('data', (chunk) => {
          for (const f of decoder.push(chunk) as Array<{ t: string; id: number; ok: boolean }>) if (f.t === 'res') answers.push(f);
          if (answers.length === count) resolve();
        });
      });
      // All of them in one write: the daemon reads them in one go.
      socket.write(frames.join(''));
      await done;
      assert.deepEqual(
        handled,
        Array.from({ length: count }, (_, n) => n),
        'handled in the order sent',
      );
      assert.deepEqual(
        answers.map((a) => a.id),
        Array.from({ length: count }, (_, n) => n + 1),
      );
      assert.ok(answers.every((a) => a.ok));
      assert.ok(
        otherWorkRanAfter > 0 && otherWorkRanAfter < count,
        `work due meanwhile ran after ${otherWorkRanAfter} of ${count} requests (not after all of them)`,
      );
    } finally {
      socket.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
