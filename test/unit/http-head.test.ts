import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headEnd, parseHead, type HeadInfo } from '../../src/holder/http-head.js';
import { MessageTracker } from '../../src/holder/http-frames.js';

/** parseHead of a head given as text (without its final CRLF CRLF), placed at an offset inside a larger buffer. */
function parse(text: string, side: 'request' | 'response'): HeadInfo | null {
  const buf = Buffer.from(`xx${text}yy`, 'latin1');
  return parseHead(buf, 2, 2 + Buffer.byteLength(text, 'latin1'), side);
}

describe('HTTP/1.x heads read in place (proxy mode)', () => {
  it('finds the first CRLF CRLF wherever it lies, and none in near misses', () => {
    for (const [text, at] of [
      ['\r\n\r\n', 0],
      ['GET / HTTP/1.1\r\nA: b\r\n\r\nbody\r\n\r\n', 20],
      ['a\r\r\n\r\n', 2],
      ['ab\n\r\n\r\n', 3],
      ['\r\n\r\r\n\r\n', 3],
      ['\r\n\n\r\n', -1],
      ['x\r\nx\r\n', -1],
      ['', -1],
    ] as const) {
      assert.equal(headEnd(Buffer.from(text, 'latin1'), 0), at, JSON.stringify(text));
      assert.equal(headEnd(Buffer.from(text, 'latin1'), 0), Buffer.from(text, 'latin1').indexOf('\r\n\r\n'), JSON.stringify(text));
    }
    assert.equal(headEnd(Buffer.from('\r\n\r\nGET\r\n\r\n', 'latin1'), 1), 7);
  });

  it('reads request and status lines as HTTP/1.0 and 1.1 define them, and nothing else', () => {
    assert.deepEqual(parse('GET /a?b HTTP/1.1', 'request'), { method: 'GET', status: 0, chunked: false, length: null, upgrade: false });
    assert.equal(parse('M-SEARCH * HTTP/1.0', 'request')?.method, 'M-SEARCH');
    for (const bad of [
      'get / HTTP/1.1',
      'GET  / HTTP/1.1',
      'GET / HTTP/2.0',
      'GET HTTP/1.1',
      'GET /\ta HTTP/1.1',
      'GET /\xa0 HTTP/1.1',
      'GET / HTTP/1.1 ',
      '',
      'GET',
    ])
      assert.equal(parse(bad, 'request'), null, JSON.stringify(bad));
    assert.equal(parse('HTTP/1.1 200 OK', 'response')?.status, 200);
    assert.equal(parse('HTTP/1.0 404', 'response')?.status, 404);
    assert.equal(parse('HTTP/1.1 101 Switching \xe9 Protocols', 'response')?.status, 101);
    for (const bad of [
      'HTTP/1.1 20 OK',
      'HTTP/1.1 2000',
      'HTTP/1.1 200OK',
      'HTTP/1.2 200 OK',
      'HTTP/1.1  200 OK',
      'http/1.1 200 OK',
      'HTTP/1.1 200 O\nK',
    ])
      assert.equal(parse(bad, 'response'), null, JSON.stringify(bad));
  });

  it('reads the framing headers in any letter case and around whitespace; a line without a name is invalid', () => {
    const r = (headers: string): HeadInfo | null => parse(`POST / HTTP/1.1\r\n${headers}`, 'request');
    assert.equal(r('content-LENGTH:   12 ')?.length, 12);
    assert.equal(r(' Content-Length\t: 7')?.length, 7);
    assert.equal(r('Content-Length:\xa09\xa0')?.length, 9);
    assert.equal(r('Content-Length: 5\r\nContent-Length: 5')?.length, 5);
    assert.equal(r('Content-Length: 5\r\nContent-Length: 6'), null);
    assert.equal(r('Content-Length: 1234567890123456'), null, 'over 15 digits');
    assert.equal(r('Content-Length: +5'), null);
    assert.equal(r('Content-Length: '), null);
    assert.equal(r('Content_Length: 5')?.length, null, 'another name');
    assert.equal(r('Transfer-Encoding: gzip, Chunked')?.chunked, true);
    assert.equal(r('TRANSFER-encoding: chunked, gzip')?.chunked, false);
    assert.equal(r('Upgrade: websocket\r\nHost: a:b')?.upgrade, true);
    assert.equal(r('X-Ok: a\r\n: no name'), null);
    assert.equal(r('X-Ok: a\r\nno colon'), null);
    assert.equal(r('X-Ok: a\r\n'), null, 'an empty header line');
  });

  it('counts the same messages whatever the chunk boundaries (every split in two and in three)', () => {
    const stream =
      '\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /u HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc' +
      'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\nHEAD /h HTTP/1.0\r\n\r\n';
    const bytes = Buffer.from(stream, 'latin1');
    const run = (cuts: number[]): MessageTracker => {
      const t = new MessageTracker('request', () => 'body');
      let from = 0;
      for (const cut of [...cuts, bytes.length]) {
        t.push(bytes.subarray(from, cut));
        from = cut;
      }
      return t;
    };
    for (let i = 0; i <= bytes.length; i++) {
      const t = run([i]);
      assert.equal(t.completed, 4, `split at ${i}`);
      assert.equal(t.idle, true, `split at ${i}`);
      for (let j = i; j <= bytes.length; j += 7) assert.equal(run([i, j]).completed, 4, `split at ${i} and ${j}`);
    }
  });
});
