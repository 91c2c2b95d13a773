/**
 * The head of one HTTP/1.x message, read where it lies in the bytes: where it ends, and what its
 * start line and the three headers that frame a body say. It runs on every request and every
 * response the proxy forwards, so it reads bytes in place: no string per head or per line, no
 * regular expression, no sub-buffer (a string of each head, split into lines, cost the proxy
 * about a microsecond per exchange). Only the method is made a string, and a header value that
 * needs a closer look (`Transfer-Encoding`).
 */

/** What one parsed head says: the request's method, or the response's status. */
export interface HeadInfo {
  method: string;
  status: number;
  chunked: boolean;
  length: number | null;
  upgrade: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const COLON = 0x3a;

/** Where the first CRLF CRLF at or after `from` starts, or -1. */
export function headEnd(buf: Uint8Array, from: number): number {
  // i is where a CRLF CRLF could end; a byte that is neither CR nor LF rules out the 4 ends
  // whose span holds it, so most of the head is read one byte in four.
  for (let i = from + 3; i < buf.length;) {
    const c = buf[i];
    if (c === LF) {
      if (buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i - 3;
      i += 2;
    } else if (c === CR) i += 1;
    else i += 4;
  }
  return -1;
}

/**
 * The start line and the headers that frame the body of the head in buf[from, end) (without its
 * final CRLF CRLF); null when it is not HTTP/1.x: a start line that is not one, a header line
 * without a name and a colon, a Content-Length that is not 1 to 15 digits or differs from another.
 */
export function parseHead(buf: Buffer, from: number, end: number, side: 'request' | 'response'): HeadInfo | null {
  const eol = lineEnd(buf, from, end);
  const info = side === 'request' ? requestLine(buf, from, eol) : statusLine(buf, from, eol);
  if (info === null) return null;
  for (let at = eol + 2; at <= end;) {
    const stop = lineEnd(buf, at, end);
    let colon = at;
    while (colon < stop && buf[colon] !== COLON) colon++;
    if (colon === at || colon === stop) return null;
    if (!frameHeader(buf, at, colon, stop, info)) return null;
    at = stop + 2;
  }
  return info;
}

/** Where the line starting at `from` ends (its CR), or `end` when no CRLF is before it. */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  // As headEnd: a byte other than LF at i + 1 rules out a CRLF at i, one other than CR too at i + 1.
  for (let i = from; i + 1 < end;) {
    const c = buf[i + 1];
    if (c === LF) {
      if (buf[i] === CR) return i;
      i += 2;
    } else if (c === CR) i += 1;
    else i += 2;
  }
  return end;
}

/** `METHOD SP target SP HTTP/1.0|1.1`, the method in upper-case token characters, the target without whitespace. */
function requestLine(buf: Buffer, from: number, eol: number): HeadInfo | null {
  let sp = from;
  while (sp < eol && isMethodChar(buf[sp] as number)) sp++;
  if (sp === from || sp >= eol || buf[sp] !== SP) return null;
  const version = eol - 9;
  if (version <= sp + 1 || !isVersion(buf, version + 1) || buf[version] !== SP) return null;
  for (let i = sp + 1; i < version; i++) if (isSpace(buf[i] as number)) return null;
  return { method: buf.toString('latin1', from, sp), status: 0, chunked: false, length: null, upgrade: false };
}

/** `HTTP/1.0|1.1 SP 3 digits`, then nothing or a space and a reason without CR or LF. */
function statusLine(buf: Buffer, from: number, eol: number): HeadInfo | null {
  if (eol - from < 12 || !isVersion(buf, from) || buf[from + 8] !== SP) return null;
  let status = 0;
  for (let i = from + 9; i < from + 12; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) return null;
    status = status * 10 + d;
  }
  if (eol > from + 12) {
    if (buf[from + 12] !== SP) return null;
    for (let i = from + 13; i < eol; i++) if (buf[i] === CR || buf[i] === LF) return null;
  }
  return { method: '', status, chunked: false, length: null, upgrade: false };
}

const VERSION = Buffer.from('HTTP/1.', 'latin1');

function isVersion(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < VERSION.length; i++) if (buf[at + i] !== VERSION[i]) return false;
  const minor = buf[at + VERSION.length];
  return minor === 0x30 || minor === 0x31;
}

/** A token character as the request line allows it in a method: upper-case letters, digits, `!#$%&'*+-.^_`|~`. */
function isMethodChar(c: number): boolean {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  return (
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5e ||
    c === 0x5f ||
    c === 0x60 ||
    c === 0x7c ||
    c === 0x7e
  );
}

/** Whitespace in one byte of latin1, as JavaScript's trim() and \s see it. */
function isSpace(c: number): boolean {
  return (c >= 0x09 && c <= 0x0d) || c === SP || c === 0xa0;
}

const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const UPGRADE = Buffer.from('upgrade', 'latin1');

/** Applies the header in buf[at, stop) (its colon at `colon`) to the framing; false when it makes the head invalid. */
function frameHeader(buf: Buffer, at: number, colon: number, stop: number, info: HeadInfo): boolean {
  let from = at;
  let to = colon;
  while (from < to && isSpace(buf[from] as number)) from++;
  while (to > from && isSpace(buf[to - 1] as number)) to--;
  const n = to - from;
  if (n !== CONTENT_LENGTH.length && n !== TRANSFER_ENCODING.length && n !== UPGRADE.length) return true;
  let v = colon + 1;
  let w = stop;
  while (v < w && isSpace(buf[v] as number)) v++;
  while (w > v && isSpace(buf[w - 1] as number)) w--;
  if (n === CONTENT_LENGTH.length && nameIs(buf, from, CONTENT_LENGTH)) {
    if (w - v < 1 || w - v > 15) return false;
    let length = 0;
    for (let i = v; i < w; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) return false;
      length = length * 10 + d;
    }
    if (info.length !== null && info.length !== length) return false;
    info.length = length;
  } else if (n === TRANSFER_ENCODING.length && nameIs(buf, from, TRANSFER_ENCODING))
    info.chunked = /(?:^|,)\s*chunked\s*$/i.test(buf.toString('latin1', v, w));
  else if (n === UPGRADE.length && nameIs(buf, from, UPGRADE)) info.upgrade = true;
  return true;
}

/** Whether buf at `at` holds `name` (lower-case letters and `-`) in any letter case. */
function nameIs(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = buf[at + i] as number;
    const want = name[i] as number;
    // Letters only compare ignoring their 0x20 case bit; `-` must be itself.
    if (c !== want && !(want >= 0x61 && (c | 0x20) === want)) return false;
  }
  return true;
}
