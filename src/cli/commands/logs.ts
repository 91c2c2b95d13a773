import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { usageError } from '../../errors.js';
import type { LogRecord } from '../../protocol/model.js';
import { parseFlags, type CliContext, type Command } from '../context.js';

export const logs: Command = {
  help: `
Synopsis
  tend logs <name|id|all> [--lines N] [--follow] [--out|--err]

Options
  --lines N    how many lines to show from the end of each file (default 15)
  --follow     keep printing new lines as they arrive (Ctrl-C to stop)
  --out/--err  only stdout / only stderr

Exit codes
  0 ok; 2 unknown app or bad usage; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, {
      lines: { type: 'string' }, follow: { type: 'boolean', short: 'f' }, out: { type: 'boolean' }, err: { type: 'boolean' },
    }, 'logs');
    const target = positionals[0] ?? 'all';
    const lines = values.lines === undefined ? 15 : Number(values.lines);
    if (!Number.isInteger(lines) || lines < 0) throw usageError(`\`--lines ${values.lines}\` is not a whole number`, 'Example: tend logs api --lines 100');
    const streams = values.out === true && values.err !== true ? ['out' as const] : values.err === true && values.out !== true ? ['err' as const] : ['out' as const, 'err' as const];
    const client = await ctx.client();
    const details = await client.call('process.describe', { target });
    for (const d of details) {
      for (const stream of streams) {
        const file = stream === 'out' ? d.logs.out : d.logs.err;
        if (file === null || (stream === 'err' && file === d.logs.out && streams.includes('out'))) continue;
        ctx.out(`==> ${file} <==`);
        const tail = readLastLines(file, lines);
        if (tail.length > 0) ctx.out(tail.join('\n'));
      }
    }
    if (values.follow !== true) return 0;
    await client.call('logs.subscribe', { target, streams });
    const multi = details.length > 1;
    client.onEvent((_sub, event) => {
      if (event.type === 'log:line') ctx.out(formatLine(event.record, multi));
      else if (event.type === 'subscription:dropped') ctx.err(`tend: ${event.reason}`);
    });
    await new Promise<void>((resolve) => {
      client.onClose(() => resolve());
      process.once('SIGINT', () => resolve());
    });
    return 0;
  },
};

function formatLine(record: LogRecord, prefix: boolean): string {
  return prefix ? `${record.app}| ${record.message}` : record.message;
}

/** The last N lines of a file, reading backwards in blocks (never the whole file). */
function readLastLines(file: string, n: number): string[] {
  if (n === 0) return [];
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(file).size;
    const block = 64 * 1024;
    let pos = size;
    let text = '';
    while (pos > 0) {
      const len = Math.min(block, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      text = buf.toString('utf8') + text;
      if (text.split('\n').length > n + 1) break;
    }
    const all = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    return all.slice(-n);
  } finally {
    closeSync(fd);
  }
}
