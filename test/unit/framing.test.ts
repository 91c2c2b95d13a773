import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDecoder, encodeFrame } from '../../src/rpc/framing.js';

describe('NDJSON framing', () => {
  it('decodes frames split across chunks and several per chunk', () => {
    const d = new FrameDecoder(1024);
    const bytes = Buffer.from(encodeFrame({ a: 1 }) + encodeFrame({ b: 'é' }) + encodeFrame({ c: 3 }));
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 3) out.push(...d.push(bytes.subarray(i, i + 3)));
    assert.deepEqual(out, [{ a: 1 }, { b: 'é' }, { c: 3 }]);
  });

  it('rejects garbage, non-objects and oversized frames with codes', () => {
    assert.throws(() => new FrameDecoder(1024).push(Buffer.from('nope\n')), { code: 'E_PROTOCOL' });
    assert.throws(() => new FrameDecoder(1024).push(Buffer.from('[1,2]\n')), { code: 'E_PROTOCOL' });
    const d = new FrameDecoder(10);
    assert.throws(
      () => {
        d.push(Buffer.from('{"a":'));
        d.push(Buffer.from('"0123456789"'));
      },
      { code: 'E_FRAME_TOO_LARGE' },
    );
  });

  it('skips empty lines', () => {
    assert.deepEqual(new FrameDecoder(100).push(Buffer.from('\n\n{"x":1}\n')), [{ x: 1 }]);
  });
});

describe('PTY attach speaks the same framing', () => {
  it('the attach client ends with a message, holding a bounded buffer, when a holder sends an endless frame', async () => {
    const { createServer } = await import('node:net');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { attachSession } = await import('../../src/cli/attach-session.js');
    const { PTY_MAX_HOLDER_FRAME_BYTES } = await import('../../src/protocol/pty.js');
    const dir = mkdtempSync(join(tmpdir(), 'tend-attach-frame-'));
    const path = join(dir, 'holder.sock');
    let sent = 0;
    const server = createServer((s) => {
      s.on('error', () => {});
      const block = Buffer.alloc(1024 * 1024, 0x61);
      const more = (): void => {
        while (!s.destroyed && sent <= PTY_MAX_HOLDER_FRAME_BYTES * 2) {
          sent += block.length;
          if (!s.write(block)) return void s.once('drain', more);
        }
        s.end();
      };
      more();
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const end = await attachSession(path, 0x1d, process.pid);
      assert.equal(end.how, 'lost');
      // Without a cap the client buffered all of it and only saw the holder close the connection.
      assert.match((end as { message: string }).message, /not a frame.*larger than/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the attach client leaves a terminal socket held by another process than the app's holder", async () => {
    const { createServer } = await import('node:net');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { attachSession } = await import('../../src/cli/attach-session.js');
    const dir = mkdtempSync(join(tmpdir(), 'tend-attach-pid-'));
    const path = join(dir, 'attach.sock');
    let screens = 0;
    // Another app's holder (pid 4242) answering on the socket: it would show its screen.
    const server = createServer((s) => {
      s.on('error', () => {});
      s.write(encodeFrame({ t: 'hello', protocol: 1, pid: 4242, appPid: 4243, name: 'other' }));
      s.write(encodeFrame({ t: 'screen', data: 'secret screen' }));
      screens += 1;
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const end = await attachSession(path, 0x1d, 4241);
      assert.equal(end.how, 'lost');
      assert.match((end as { message: string }).message, /held by pid 4242, not by the app's holder \(pid 4241\)/);
      assert.equal(screens, 1);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
