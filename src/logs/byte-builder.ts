/**
 * A growable scratch buffer reused across writes, so transforming a chunk (adding prefixes,
 * inserting cut newlines, building JSON lines) costs one copy and no per-line allocation.
 */
export class ByteBuilder {
  private buf: Buffer;
  private len = 0;

  /** Starts empty: most apps never need a transform, and 20 idle apps should not hold 20 buffers. */
  constructor(initialBytes = 0) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.len;
  }

  reset(): void {
    this.len = 0;
  }

  push(src: Buffer, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.reserve(n);
    src.copy(this.buf, this.len, start, end);
    this.len += n;
  }

  pushString(text: string): void {
    // A UTF-8 encoding takes at most 3 bytes per UTF-16 code unit.
    this.reserve(text.length * 3);
    this.len += this.buf.write(text, this.len, 'utf8');
  }

  /** The bytes pushed so far; valid until the next push or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = Math.max(4096, this.buf.length * 2);
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
