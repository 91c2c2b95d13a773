import { stripAnsi } from '../../lib/strip-ansi.js';

/**
 * Terminal cell width of text: East Asian wide characters and emoji take two cells, combining
 * marks none. Enough for names and log lines; control characters are replaced before drawing.
 */
export function cellWidth(ch: number): number {
  if (ch < 32 || (ch >= 0x7f && ch < 0xa0)) return 0;
  if ((ch >= 0x300 && ch <= 0x36f) || (ch >= 0x200b && ch <= 0x200f) || ch === 0xfe0f) return 0;
  if (
    (ch >= 0x1100 && ch <= 0x115f) ||
    (ch >= 0x2e80 && ch <= 0xa4cf) ||
    (ch >= 0xac00 && ch <= 0xd7a3) ||
    (ch >= 0xf900 && ch <= 0xfaff) ||
    (ch >= 0xfe30 && ch <= 0xfe4f) ||
    (ch >= 0xff00 && ch <= 0xff60) ||
    (ch >= 0xffe0 && ch <= 0xffe6) ||
    (ch >= 0x1f300 && ch <= 0x1faff) ||
    (ch >= 0x20000 && ch <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** One line for a pane: escape sequences and control characters removed (an app's log line must not drive our terminal). */
export function sanitize(text: string): string {
  return stripAnsi(text).replace(/\n/g, '').replace(/\t/g, '  ');
}

/** Cuts or pads text to exactly `width` cells. */
export function fit(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const c of text) {
    const w = cellWidth(c.codePointAt(0) as number);
    if (used + w > width) break;
    out += c;
    used += w;
  }
  return out + ' '.repeat(Math.max(0, width - used));
}
