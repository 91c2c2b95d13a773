import { TendError } from '../errors.js';

/**
 * Newline-delimited JSON decoder with a frame size cap. Bytes are buffered until a newline; a
 * frame that grows past the cap is an error (the connection is then closed by the caller), so a
 * peer cannot make us buffer without bound.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes of an unfinished frame held (a request still arriving). */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds a chunk; returns the complete frames it finished. Throws E_FRAME_TOO_LARGE / E_PROTOCOL. */
  push(chunk: Buffer): unknown[] {
    const frames: unknown[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      this.checkSize(piece.length);
      const whole = this.pendingBytes === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      if (whole.length > 0) frames.push(parseFrame(whole));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.checkSize(rest.length);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
    return frames;
  }

  private checkSize(extra: number): void {
    if (this.pendingBytes + extra > this.maxFrameBytes) {
      throw new TendError('E_FRAME_TOO_LARGE', `a message larger than ${this.maxFrameBytes} bytes (the limit of one frame) was refused`, {
        hint: 'Something in it is too large (an argument, an environment variable, an env_file): pass large data through a file instead.',
      });
    }
  }
}

function parseFrame(bytes: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TendError('E_PROTOCOL', 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TendError('E_PROTOCOL', 'frame is not a JSON object');
  }
  return value;
}

/** One frame on the wire. */
export function encodeFrame(frame: object): string {
  return `${JSON.stringify(frame)}\n`;
}
