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
    assert.throws(() => { d.push(Buffer.from('{"a":')); d.push(Buffer.from('"0123456789"')); }, { code: 'E_FRAME_TOO_LARGE' });
  });

  it('skips empty lines', () => {
    assert.deepEqual(new FrameDecoder(100).push(Buffer.from('\n\n{"x":1}\n')), [{ x: 1 }]);
  });
});
