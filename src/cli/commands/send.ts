import { usageError } from '../../errors.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const SEND_OPTIONS = {} satisfies Options;

export const send: Command = {
  options: SEND_OPTIONS,
  help: `
Synopsis
  tend send <name|id|all> <line...>

Notes
  Writes the words joined by spaces, plus a newline, to the app's stdin (a cluster app: each
  worker's; an instance id: that worker's alone). Never blocks: if the app does not read its
  stdin and the pipe is full, the command fails and says so.

Exit codes
  0 written; 1 unknown app, not running, or pipe full; 2 bad usage; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { positionals } = parseFlags(argv, SEND_OPTIONS, 'send');
    const [target, ...words] = positionals;
    if (target === undefined || words.length === 0)
      throw usageError('`tend send` needs a target and a line', 'Example: tend send worker "reload config"');
    const result = await (await ctx.client()).call('process.send', { target, line: words.join(' ') });
    ctx.out(`wrote ${result.bytes} bytes to ${result.processes} process(es)`);
    return 0;
  },
};
