import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageTracker, type HeadInfo } from '../../src/holder/http-frames.js';

const requests = (): MessageTracker => new MessageTracker('request', () => 'body');

/** A response tracker answering requests of `methods`, in order, as the proxy's does. */
function responses(methods: string[]): MessageTracker {
  return new MessageTracker('response', (h: HeadInfo) => {
    if (h.status === 101) return 'opaque';
    if (h.status < 200) return 'interim';
    const method = methods.shift();
    if (method === 'HEAD' || h.status === 204 || h.status === 304) return 'none';
    return 'body';
  });
}

/** Feeds `text` whole, then byte by byte into a fresh tracker: both must end the same. */
function both(make: () => MessageTracker, text: string): MessageTracker[] {
  const whole = make();
  whole.push(Buffer.from(text, 'latin1'));
  const bytes = make();
  for (const b of Buffer.from(text, 'latin1')) bytes.push(Buffer.from([b]));
  return [whole, bytes];
}

describe('HTTP/1.1 message boundaries (proxy mode)', () => {
  it('counts requests without and with a length, and pipelined ones', () => {
    for (const t of both(requests, 'GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello')) {
      assert.equal(t.completed, 2);
      assert.equal(t.idle, true);
    }
    for (const t of both(requests, 'POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel')) {
      assert.equal(t.completed, 0);
      assert.equal(t.idle, false);
    }
  });

  it('follows chunked bodies with extensions and trailers, split anywhere', () => {
    const body = 'POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
    for (const t of both(requests, body)) {
      assert.equal(t.completed, 1);
      assert.equal(t.idle, true);
    }
    for (const t of both(requests, body.slice(0, -2))) assert.equal(t.idle, false);
  });

  it('knows responses without a body (HEAD, 204, 304) and skips interim ones', () => {
    const [head] = both(() => responses(['HEAD']), 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
    assert.equal(head?.completed, 1);
    assert.equal(head?.idle, true);
    const [cont] = both(() => responses(['POST']), 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    assert.equal(cont?.completed, 1);
    const [none] = both(() => responses(['GET', 'GET']), 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n');
    assert.equal(none?.completed, 2);
  });

  it('turns opaque (never moved) on an upgrade, a close-delimited body or bytes that are not HTTP', () => {
    for (const [text, side] of [
      ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello', 'response'],
      ['HTTP/1.1 200 OK\r\n\r\nuntil the end', 'response'],
      ['\x16\x03\x01 tls hello\r\n\r\n', 'request'],
      ['GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'request'],
    ] as const) {
      for (const t of both(() => (side === 'request' ? requests() : responses(['GET'])), text)) {
        assert.equal(t.opaque, true, text);
        assert.equal(t.idle, false);
      }
    }
  });
});
