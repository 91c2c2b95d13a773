/**
 * Where HTTP/1.1 messages start and end on one direction of a proxied connection, without
 * changing or holding a byte: the proxy forwards every chunk as it came and only asks whether
 * the connection is between exchanges (every request answered, nothing half sent), the one
 * moment a keep-alive connection can move to another instance without the client noticing.
 *
 * What is not plain HTTP/1.1 (an `Upgrade` that got `101`, a `CONNECT` tunnel, a response whose
 * end is the connection's close, bytes that do not parse, a head over MAX_HEAD_BYTES) makes the
 * tracker `opaque`: the bytes still flow, but the connection is never moved.
 */

const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

type BodyState =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  /** Chunked: a size line, `left` bytes of data then its CRLF, or the trailer lines after size 0. */
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' };

/** What one parsed head says: the request's method, or the response's status. */
export interface HeadInfo {
  method: string;
  status: number;
  chunked: boolean;
  length: number | null;
  upgrade: boolean;
}

export class MessageTracker {
  /** Messages fully seen (a request with its body; a final response with its body). */
  completed = 0;
  opaque = false;
  private state: BodyState = { kind: 'head' };
  /** Bytes of a head, or of a chunk-size or trailer line, not complete yet. */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  /**
   * @param side `request`: heads are request lines; `response`: status lines.
   * @param onHead Called with each head; answers the body's framing (see framing()).
   */
  constructor(
    private readonly side: 'request' | 'response',
    private readonly onHead: (head: HeadInfo) => 'none' | 'body' | 'interim' | 'opaque',
  ) {}

  /** At a message boundary with nothing partial: the next byte starts a new message. */
  get idle(): boolean {
    return !this.opaque && this.state.kind === 'head' && this.partialBytes === 0;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.opaque) at = this.step(chunk, at);
  }

  /** Consumes from `at`; returns where it stopped. */
  private step(chunk: Buffer, at: number): number {
    const s = this.state;
    switch (s.kind) {
      case 'head':
        return this.head(chunk, at);
      case 'length':
      case 'chunk-data': {
        const n = Math.min(s.left, chunk.length - at);
        s.left -= n;
        if (s.left === 0) {
          if (s.kind === 'length') this.done();
          else this.state = { kind: 'chunk-end' };
        }
        return at + n;
      }
      case 'chunk-size':
      case 'chunk-end':
      case 'trailers':
        return this.line(chunk, at);
    }
  }

  private head(chunk: Buffer, at: number): number {
    // Empty lines before a message are allowed (RFC 9112 §2.2).
    if (this.partialBytes === 0) {
      while (at < chunk.length && (chunk[at] === 0x0d || chunk[at] === 0x0a)) at++;
      if (at === chunk.length) return at;
    }
    const joined = this.partialBytes === 0 ? chunk.subarray(at) : Buffer.concat([...this.partial, chunk.subarray(at)]);
    const end = joined.indexOf(CRLF2);
    if (end === -1) {
      if (joined.length > MAX_HEAD_BYTES) this.opaque = true;
      else this.keep(chunk.subarray(at));
      return chunk.length;
    }
    const consumedFromChunk = end + 4 - this.partialBytes;
    const info = parseHead(joined.subarray(0, end).toString('latin1'), this.side);
    this.partial = [];
    this.partialBytes = 0;
    if (info === null) {
      this.opaque = true;
      return chunk.length;
    }
    const framing = this.onHead(info);
    if (framing === 'opaque') this.opaque = true;
    else if (framing === 'interim') this.state = { kind: 'head' };
    else if (framing === 'none') this.done();
    else if (info.chunked) this.state = { kind: 'chunk-size' };
    else if (info.length !== null) {
      if (info.length === 0) this.done();
      else this.state = { kind: 'length', left: info.length };
    } else if (this.side === 'request') this.done();
    // A response body without a length ends with the connection.
    else this.opaque = true;
    return at + consumedFromChunk;
  }

  /** A CRLF-ended line of the chunked framing. */
  private line(chunk: Buffer, at: number): number {
    const nl = chunk.indexOf(0x0a, at);
    if (nl === -1) {
      if (this.partialBytes + chunk.length - at > MAX_HEAD_BYTES) this.opaque = true;
      else this.keep(chunk.subarray(at));
      return chunk.length;
    }
    const text = (this.partialBytes === 0 ? chunk.subarray(at, nl) : Buffer.concat([...this.partial, chunk.subarray(at, nl)]))
      .toString('latin1')
      .replace(/\r$/, '');
    this.partial = [];
    this.partialBytes = 0;
    const s = this.state;
    if (s.kind === 'chunk-end') {
      if (text !== '') this.opaque = true;
      else this.state = { kind: 'chunk-size' };
    } else if (s.kind === 'chunk-size') {
      const size = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(text);
      if (size === null) this.opaque = true;
      else {
        const n = parseInt(size[1] as string, 16);
        this.state = n === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: n };
      }
    } else if (text === '') this.done();
    return nl + 1;
  }

  private keep(bytes: Buffer): void {
    // A copy: the chunk's memory belongs to the stream that goes on with it.
    this.partial.push(Buffer.from(bytes));
    this.partialBytes += bytes.length;
  }

  private done(): void {
    this.completed += 1;
    this.state = { kind: 'head' };
  }
}

/** The start line and the headers that frame the body; null when it is not HTTP/1.x. */
export function parseHead(text: string, side: 'request' | 'response'): HeadInfo | null {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const start = text.slice(0, eol);
  let method = '';
  let status = 0;
  if (side === 'request') {
    const m = /^([A-Z!#$%&'*+.^_`|~0-9-]+) \S+ HTTP\/1\.[01]$/.exec(start);
    if (m === null) return null;
    method = m[1] as string;
  } else {
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(start);
    if (m === null) return null;
    status = Number(m[1]);
  }
  const info: HeadInfo = { method, status, chunked: false, length: null, upgrade: false };
  // Header lines, read in place: only the three names that frame a body are looked at closely.
  for (let at = eol + 2; at <= text.length;) {
    let end = text.indexOf('\r\n', at);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', at);
    if (colon <= at || colon >= end) return null;
    if (mayFrame(text, at, colon) && !frameHeader(text.slice(at, colon).trim().toLowerCase(), text.slice(colon + 1, end).trim(), info))
      return null;
    at = end + 2;
  }
  return info;
}

/** Whether the name in text[from, to) can be, once trimmed, one of the names frameHeader reads. */
function mayFrame(text: string, from: number, to: number): boolean {
  const n = to - from;
  if (n === 7 || n === 14 || n === 17) return true;
  // Whitespace around a name (what trim() would remove in latin1): the slow path decides.
  return isTrimmed(text.charCodeAt(from)) || isTrimmed(text.charCodeAt(to - 1));
}

function isTrimmed(code: number): boolean {
  return code <= 0x20 || code === 0xa0;
}

/** Applies one header to the framing; false when it makes the head invalid. */
function frameHeader(name: string, value: string, info: HeadInfo): boolean {
  if (name === 'transfer-encoding') info.chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
  else if (name === 'content-length') {
    if (!/^\d{1,15}$/.test(value) || (info.length !== null && info.length !== Number(value))) return false;
    info.length = Number(value);
  } else if (name === 'upgrade') info.upgrade = true;
  return true;
}
