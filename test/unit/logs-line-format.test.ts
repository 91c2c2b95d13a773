import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileDateFormat, createTimePrefix, formatJsonLine, parseJsonLine } from '../../src/logs/line-format.js';
import { LineSplitter, type PieceEnd } from '../../src/logs/line-splitter.js';

describe('line formats', () => {
  it('formats ISO 8601 by default and moment-style tokens in local time', () => {
    const ms = new Date(2024, 11, 31, 23, 59, 58, 7).getTime();
    assert.equal(compileDateFormat(null)(ms), new Date(ms).toISOString());
    assert.equal(compileDateFormat('YYYY-MM-DD HH:mm:ss.SSS')(ms), '2024-12-31 23:59:58.007');
    assert.equal(compileDateFormat('YY/MM/DD [YYYY] HHmm')(ms), '24/12/31 YYYY 2359');
    const offsetMin = -new Date(ms).getTimezoneOffset();
    const sign = offsetMin < 0 ? '-' : '+';
    const hh = String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0');
    const mm = String(Math.abs(offsetMin) % 60).padStart(2, '0');
    assert.equal(compileDateFormat('Z ZZ')(ms), `${sign}${hh}:${mm} ${sign}${hh}${mm}`);
  });

  it('caches the prefix per millisecond', () => {
    const prefix = createTimePrefix(null);
    assert.equal(prefix(0), prefix(0));
    assert.equal(prefix(0).toString(), '1970-01-01T00:00:00.000Z: ');
    assert.notEqual(prefix(1), prefix(0));
  });

  it('round-trips JSON lines and rejects lines that are not records', () => {
    const r = { time: 1_700_000_000_123, app: 'web', id: 2, stream: 'err' as const, message: 'a "quoted"\u0000 line' };
    const line = formatJsonLine(r);
    assert.ok(line.endsWith('}\n'));
    assert.deepEqual(parseJsonLine(line.trimEnd()), r);
    assert.equal(parseJsonLine('plain text'), null);
    assert.equal(parseJsonLine('{"broken'), null);
    assert.equal(parseJsonLine('{"time":"nope","message":"x"}'), null);
  });
});

describe('LineSplitter', () => {
  function pieces(max: number, chunks: string[]): string[] {
    const s = new LineSplitter(max);
    const out: string[] = [];
    for (const c of chunks) {
      s.split(Buffer.from(c), (chunk, a, e, start, end: PieceEnd) => out.push(`${start ? '^' : ''}${chunk.toString('utf8', a, e)}|${end}`));
    }
    return out;
  }

  it('splits into pieces with line starts and endings', () => {
    assert.deepEqual(pieces(100, ['ab\ncd', 'e\n\n']), ['^ab|newline', '^cd|open', 'e|newline', '^|newline']);
  });

  it('cuts at the cap, counting bytes held from earlier chunks', () => {
    assert.deepEqual(pieces(4, ['ab', 'cdef\n']), ['^ab|open', 'cd|cut', '^ef|newline']);
  });

  it('decides the no-copy fast path exactly', () => {
    const s = new LineSplitter(4);
    assert.equal(s.fitsUncut(Buffer.from('abcd\nabcd\n')), true);
    assert.equal(s.fitsUncut(Buffer.from('abcde\n')), false);
    s.advance(Buffer.from('abc'));
    assert.equal(s.fitsUncut(Buffer.from('d\nx')), true);
    assert.equal(s.fitsUncut(Buffer.from('de\n')), false);
  });
});
