import type { LogRecord } from '../../protocol/logs.js';
import { painter, type Color } from './colors.js';

const PALETTE: Color[] = ['cyan', 'magenta', 'blue', 'green', 'yellow'];

export interface LogLineOptions {
  json: boolean;
  raw: boolean;
  timestamp: boolean;
  prefix: boolean;
  color: boolean;
}

/** One record for the terminal: `name| message` (coloured per app; stderr in red), or JSON, or bare. */
export function createLogLineRenderer(opts: LogLineOptions): (r: LogRecord) => string {
  const paint = painter(opts.color);
  const colors = new Map<string, Color>();
  const colorOf = (app: string): Color => {
    let c = colors.get(app);
    if (c === undefined) {
      c = PALETTE[colors.size % PALETTE.length] as Color;
      colors.set(app, c);
    }
    return c;
  };
  return (r) => {
    if (opts.json) return JSON.stringify(r);
    if (opts.raw) return r.message;
    const time = opts.timestamp ? `${new Date(r.time).toISOString()} ` : '';
    const prefix = opts.prefix ? `${paint(colorOf(r.app), `${r.app}|`)} ` : '';
    const message = r.stream === 'err' ? paint('red', r.message) : r.message;
    return `${time}${prefix}${message}`;
  };
}
