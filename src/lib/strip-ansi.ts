/**
 * The one ANSI stripper: terminal output made into plain text (PTY logs, monit's log pane).
 * Escape sequences (colours, cursor moves, titles, device strings) removed, CR-LF made LF, other
 * control characters (C0 but TAB and LF, DEL, C1) dropped.
 */
// CSI (7- and 8-bit), OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, charset selection, two-byte escapes.
const SEQUENCE =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[()*+][ -~]|\x1b[ -/]*[0-~]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const INCOMPLETE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[()*+])?$|\x1b[\]PX^_][^\x07]*\x1b$|\x9b[0-?]*[ -/]*$/;

/** Text without escape sequences or control characters (TAB and LF kept, CR-LF made LF). */
export function stripAnsi(text: string): string {
  return text.replace(SEQUENCE, '').replace(/\r+\n/g, '\n').replace(CONTROLS, '');
}

/**
 * `stripAnsi` over a stream: a sequence split across two chunks is held until its end arrives
 * (at most 256 bytes, then dropped).
 */
export class AnsiStripper {
  private held = '';

  push(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    const tail = INCOMPLETE.exec(text);
    if (tail !== null && tail[0].length <= 256) {
      this.held = tail[0];
      text = text.slice(0, tail.index);
    }
    return stripAnsi(text);
  }
}
