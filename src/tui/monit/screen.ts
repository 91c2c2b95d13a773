/**
 * Draws frames on a terminal without flicker: the alternate screen, the cursor hidden, and for
 * each new frame only the rows that changed, each rewritten in place, all in one write wrapped
 * in synchronized-output marks (terminals that know them show the frame at once).
 */
export class Screen {
  private previous: string[] = [];

  constructor(private readonly write: (data: string) => void) {}

  open(): void {
    this.write('\x1b[?1049h\x1b[?25l\x1b[2J');
    this.previous = [];
  }

  close(): void {
    this.write('\x1b[0m\x1b[?25h\x1b[?1049l');
  }

  /** Forget what is on screen (after a resize): the next frame is drawn whole. */
  invalidate(): void {
    this.previous = [];
    this.write('\x1b[2J');
  }

  /** Draws a frame (one string per row, already fitted to the width, styles included). */
  draw(rows: readonly string[]): number {
    let out = '';
    let changed = 0;
    for (let i = 0; i < rows.length; i += 1) {
      if (rows[i] === this.previous[i]) continue;
      out += `\x1b[${i + 1};1H${rows[i]}\x1b[0m\x1b[K`;
      changed += 1;
    }
    for (let i = rows.length; i < this.previous.length; i += 1) out += `\x1b[${i + 1};1H\x1b[K`;
    this.previous = [...rows];
    if (out !== '') this.write(`\x1b[?2026h${out}\x1b[?2026l`);
    return changed;
  }
}
