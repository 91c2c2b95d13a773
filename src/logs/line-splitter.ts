const NL = 0x0a;

/** How a piece of a line ends: at its newline (`chunk[end]`), cut at the length cap, or still open. */
export type PieceEnd = 'newline' | 'cut' | 'open';

/** Receives the pieces of a chunk in order; `lineStart` is true when the piece begins a line. */
export type PieceVisitor = (chunk: Buffer, start: number, end: number, lineStart: boolean, ending: PieceEnd) => void;

/**
 * Line state of one stream: where the current line began and how long it is so far. It splits
 * chunks into pieces without copying, and cuts a line at `maxLineBytes` so that one endless line
 * cannot make anything downstream hold unbounded memory.
 */
export class LineSplitter {
  /** Bytes of the current (unterminated) line seen so far, newline excluded. */
  lineBytes = 0;
  atLineStart = true;

  constructor(readonly maxLineBytes: number) {}

  /** True when no line in the chunk needs a cut, so it can be written as is (the fast path). */
  fitsUncut(chunk: Buffer): boolean {
    const max = this.maxLineBytes;
    if (this.lineBytes + chunk.length <= max) return true;
    if (chunk.length <= max) {
      // Lines after the first are shorter than the chunk: only the first one can be too long.
      const nl = chunk.indexOf(NL);
      return nl >= 0 && this.lineBytes + nl <= max;
    }
    let used = this.lineBytes;
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (used + end - pos > max) return false;
      if (nl < 0) return true;
      used = 0;
      pos = nl + 1;
    }
  }

  /** Updates the line state for a chunk that passed `fitsUncut` and is written unchanged. */
  advance(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      this.lineBytes += chunk.length;
      this.atLineStart = false;
    } else {
      this.lineBytes = chunk.length - 1 - last;
      this.atLineStart = this.lineBytes === 0;
    }
  }

  /** Calls `visit` for each piece of the chunk, cutting lines that would exceed the cap. */
  split(chunk: Buffer, visit: PieceVisitor): void {
    const max = this.maxLineBytes;
    let pos = 0;
    while (pos < chunk.length) {
      const lineStart = this.atLineStart;
      if (lineStart) this.lineBytes = 0;
      const room = max - this.lineBytes;
      const nl = chunk.indexOf(NL, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (end - pos <= room) {
        visit(chunk, pos, end, lineStart, nl < 0 ? 'open' : 'newline');
        if (nl < 0) {
          this.lineBytes += end - pos;
          this.atLineStart = false;
          return;
        }
        this.atLineStart = true;
        pos = nl + 1;
        continue;
      }
      const cut = utf8Boundary(chunk, pos, pos + room);
      visit(chunk, pos, cut, lineStart, 'cut');
      this.atLineStart = true;
      pos = cut;
    }
  }

  /** Forgets the current line (the stream ended and its partial line was terminated). */
  reset(): void {
    this.lineBytes = 0;
    this.atLineStart = true;
  }
}

/**
 * Moves a cut back (at most 3 bytes) so it does not fall inside a UTF-8 sequence, which would
 * turn one character into two replacement characters. Binary data may have no boundary nearby:
 * then the cut stays where it was.
 */
function utf8Boundary(chunk: Buffer, start: number, cut: number): number {
  for (let i = cut; i > start && i > cut - 4; i -= 1) {
    if (((chunk[i] ?? 0) & 0xc0) !== 0x80) return i;
  }
  // No boundary nearby (binary data), or no room at all: cut exactly at the cap.
  return cut;
}
