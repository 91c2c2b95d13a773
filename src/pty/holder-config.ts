/** What the supervisor tells a PTY holder (one JSON argument): the app's command and where to listen. */
export interface HolderConfig {
  file: string;
  args: string[];
  cwd: string;
  /** The attach socket, TEND_HOME/pty/<id>.sock. */
  socket: string;
  name: string;
  /** Keep escape sequences in the log. */
  logAnsi: boolean;
}

export function parseHolderConfig(text: string | undefined): HolderConfig {
  let v: unknown;
  try {
    v = JSON.parse(text ?? '');
  } catch {
    throw new Error('the holder is started by tend with its configuration as a JSON argument');
  }
  const c = v as Partial<HolderConfig> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.file !== 'string' ||
    !Array.isArray(c.args) ||
    !c.args.every((a) => typeof a === 'string') ||
    typeof c.cwd !== 'string' ||
    typeof c.socket !== 'string' ||
    typeof c.name !== 'string' ||
    typeof c.logAnsi !== 'boolean'
  ) {
    throw new Error('malformed holder configuration');
  }
  return c as HolderConfig;
}
