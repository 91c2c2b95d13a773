/**
 * The wire between `tend attach` (or any client) and a PTY holder: the small per-app process
 * that owns the app's pseudo-terminal, so the terminal outlives the daemon (DESIGN.md §8).
 * The holder listens on `TEND_HOME/pty/<id>.sock` (0600). Newline-delimited JSON frames; the
 * client speaks first with `hello`, the holder answers `hello` then the current screen.
 */
export const PTY_PROTOCOL_VERSION = 1;

/** A client frame larger than this closes the connection. */
export const PTY_MAX_FRAME_BYTES = 1024 * 1024;

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
