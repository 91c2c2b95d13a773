export type Key =
  'up' | 'down' | 'pageup' | 'pagedown' | 'home' | 'end' | 'enter' | 'escape' | 'backspace' | 'ctrl-c' | 'tab' | { char: string };

/** Splits what the terminal sent (raw mode) into keys. */
export function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < data.length) {
    const rest = data.slice(i);
    const seq = /^\x1b\[(A|B|5~|6~|H|F|1~|4~)|^\x1bO(A|B|H|F)/.exec(rest);
    if (seq !== null) {
      const code = seq[1] ?? seq[2];
      keys.push(
        code === 'A'
          ? 'up'
          : code === 'B'
            ? 'down'
            : code === '5~'
              ? 'pageup'
              : code === '6~'
                ? 'pagedown'
                : code === 'H' || code === '1~'
                  ? 'home'
                  : 'end',
      );
      i += seq[0].length;
      continue;
    }
    const c = data[i] as string;
    if (c === '\x1b') {
      // A lone escape, or an unknown sequence: skip the sequence, report escape.
      const unknown = /^\x1b(\[[0-?]*[ -/]*[@-~]|O.)/.exec(rest);
      if (unknown === null) keys.push('escape');
      i += unknown === null ? 1 : unknown[0].length;
      continue;
    }
    if (c === '\r' || c === '\n') keys.push('enter');
    else if (c === '\x7f' || c === '\b') keys.push('backspace');
    else if (c === '\x03') keys.push('ctrl-c');
    else if (c === '\t') keys.push('tab');
    else if (c >= ' ') keys.push({ char: c });
    i += 1;
  }
  return keys;
}
