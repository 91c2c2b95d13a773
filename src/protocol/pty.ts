/**
 * The wire between `tend attach` (or any client) and a PTY holder: the small per-app process
 * that owns the app's pseudo-terminal, so the terminal outlives the daemon (DESIGN.md §8).
 * The holder listens on `TEND_HOME/pty/<id>.sock` (0600). Newline-delimited JSON frames; the
 * client speaks first with `hello`, the holder answers `hello` then the current screen.
 */
export const PTY_PROTOCOL_VERSION = 1;

/** A client frame larger than this closes the connection. */
export const PTY_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * The largest window a holder takes: 1000 columns by 500 rows, more than any real screen shows
 * (a 4K display at a 6x12-pixel font is 640 x 180). The holder keeps the screen (plus scrollback)
 * in memory, about 12 bytes a cell, so a size from a client must be bounded: a larger one is
 * clamped to this, and a size that is not a whole number from 1 to 65535 (the kernel's window
 * size field) is refused.
 */
export const PTY_MAX_COLS = 1000;
export const PTY_MAX_ROWS = 500;

/** A client's window size as the holder applies it (clamped), or null when it is refused. */
export function ptySize(cols: unknown, rows: unknown): { cols: number; rows: number } | null {
  const valid = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65_535;
  if (!valid(cols) || !valid(rows)) return null;
  return { cols: Math.min(cols, PTY_MAX_COLS), rows: Math.min(rows, PTY_MAX_ROWS) };
}

/** A holder frame larger than this ends the attach (a screen redraw with its scrollback fits well within). */
export const PTY_MAX_HOLDER_FRAME_BYTES = 32 * 1024 * 1024;

export type PtyClientFrame =
  | { t: 'hello'; protocol: number; cols: number; rows: number }
  /** Keystrokes or pasted text, as the terminal sent them. */
  | { t: 'in'; data: string }
  | { t: 'resize'; cols: number; rows: number };

export type PtyHolderFrame =
  | { t: 'hello'; protocol: number; pid: number; appPid: number; name: string }
  /** Redraws the whole screen (with some scrollback) as a terminal would show it now. */
  | { t: 'screen'; data: string }
  | { t: 'out'; data: string }
  | { t: 'exit'; code: number | null; signal: string | null }
  | { t: 'error'; message: string };
