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

import { headEnd, parseHead, type HeadInfo } from './http-head.js';

export type { HeadInfo } from './http-head.js';

const MAX_HEAD_BYTES = 64 * 1024;

type BodyState =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  /** Chunked: a size line, `left` bytes of data then its CRLF, or the trailer lines after size 0. */
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' };

/** Between messages (shared: only the body states carry a count that changes). */
const HEAD: BodyState = { kind: 'head' };

export class MessageTracker {
  /** Messages fully seen (a request with its body; a final response with its body). */
  completed = 0;
  opaque = false;
  private state: BodyState = HEAD;
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
    if (this.partialBytes === 0) {
      // Empty lines before a message are allowed (RFC 9112 §2.2).
      while (at < chunk.length && (chunk[at] === 0x0d || chunk[at] === 0x0a)) at++;
      if (at === chunk.length) return at;
      // The usual case: the whole head in this chunk, read where it lies.
      const end = headEnd(chunk, at);
      if (end !== -1) return this.headRead(parseHead(chunk, at, end, this.side), chunk.length, end + 4);
      if (chunk.length - at > MAX_HEAD_BYTES) this.opaque = true;
      else this.keep(chunk.subarray(at));
      return chunk.length;
    }
    // A head split across chunks: joined with what came before.
    const joined = Buffer.concat([...this.partial, chunk.subarray(at)]);
    const end = headEnd(joined, 0);
    if (end === -1) {
      if (joined.length > MAX_HEAD_BYTES) this.opaque = true;
      else this.keep(chunk.subarray(at));
      return chunk.length;
    }
    const next = at + end + 4 - this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    return this.headRead(parseHead(joined, 0, end, this.side), chunk.length, next);
  }

  /** Sets what follows a head: its body's framing; returns where the chunk is read on from. */
  private headRead(info: HeadInfo | null, chunkEnd: number, next: number): number {
    if (info === null) {
      this.opaque = true;
      return chunkEnd;
    }
    const framing = this.onHead(info);
    if (framing === 'opaque') this.opaque = true;
    else if (framing === 'interim') this.state = HEAD;
    else if (framing === 'none') this.done();
    else if (info.chunked) this.state = { kind: 'chunk-size' };
    else if (info.length !== null) {
      if (info.length === 0) this.done();
      else this.state = { kind: 'length', left: info.length };
    } else if (this.side === 'request') this.done();
    // A response body without a length ends with the connection.
    else this.opaque = true;
    return next;
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
    this.state = HEAD;
  }
}
