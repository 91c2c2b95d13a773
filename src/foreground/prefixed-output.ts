import { StringDecoder } from 'node:string_decoder';
import type { LogStream } from '../protocol/logs.js';
import type { OutputSink } from '../supervisor/stdio-pipes.js';

/** Colours of the `name |` prefixes, in app order (ANSI 36 cyan, 33 yellow, 32 green, 35 magenta, 34 blue, 91 bright red). */
const COLORS = [36, 33, 32, 35, 34, 91];
/** A line longer than this is cut into pieces (a runaway app cannot grow tend's memory). */
const MAX_LINE = 64 * 1024;

export interface OutputFormat {
  /** One JSON object per line (time, app, stream, message) for log collectors. */
  json: boolean;
  color: boolean;
}

/**
 * `tend run`'s terminal output: every app's lines prefixed with its padded, coloured name
 * (`api    | listening on 3000`), or as JSON lines; tend's own notices under the name `tend`.
 */
export class PrefixedOutput {
  private width = 4;
  private colorOf = new Map<string, number>();

  constructor(
    private readonly format: OutputFormat,
    private readonly write: (text: string) => void,
  ) {}

  /** Registers the app names first, so every prefix has the same width. */
  names(names: string[]): void {
    for (const n of names) {
      if (!this.colorOf.has(n)) this.colorOf.set(n, COLORS[this.colorOf.size % COLORS.length] as number);
      this.width = Math.max(this.width, n.length);
    }
  }

  /** `ended(stream)` is called at each end-of-file (the app and every process holding its output gone). */
  sink(name: () => string, ended: (stream: LogStream, open: boolean) => void = () => undefined): OutputSink {
    const held: Record<LogStream, string> = { out: '', err: '' };
    const decoders: Record<LogStream, StringDecoder> = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
    return {
      write: (stream, chunk) => {
        ended(stream, true);
        let text = held[stream] + decoders[stream].write(chunk);
        let nl: number;
        while ((nl = text.indexOf('\n')) >= 0) {
          this.line(name(), stream, text.slice(0, nl).replace(/\r$/, ''));
          text = text.slice(nl + 1);
        }
        while (text.length > MAX_LINE) {
          this.line(name(), stream, text.slice(0, MAX_LINE));
          text = text.slice(MAX_LINE);
        }
        held[stream] = text;
      },
      endStream: (stream) => {
        const rest = held[stream] + decoders[stream].end();
        held[stream] = '';
        if (rest.length > 0) this.line(name(), stream, rest);
        ended(stream, false);
      },
    };
  }

  notice(message: string): void {
    this.line('tend', 'out', message);
  }

  line(app: string, stream: LogStream, message: string): void {
    if (this.format.json) {
      this.write(`${JSON.stringify({ time: new Date().toISOString(), app, stream, message })}\n`);
      return;
    }
    const label = app.padEnd(this.width);
    const color = app === 'tend' ? 90 : this.colorOf.get(app);
    const prefix = this.format.color && color !== undefined ? `\x1b[${color}m${label} |\x1b[0m` : `${label} |`;
    this.write(`${prefix} ${message}\n`);
  }
}
