import { usageError } from '../../errors.js';
import { parseSignal } from '../../lib/signals.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const SIGNAL_OPTIONS = { json: { type: 'boolean' } } satisfies Options;

export const signal: Command = {
  options: SIGNAL_OPTIONS,
  help: `
Synopsis
  tend signal <SIGNAL> <name|id|all> [--json]

Notes
  Sends the signal to each app's main process (SIGUSR2, SIGHUP, 15…).

Exit codes
  0 sent; 1 unknown app, or it is not running; 2 invalid signal or bad usage; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, SIGNAL_OPTIONS, 'signal');
    const [sig, target] = positionals;
    if (sig === undefined || target === undefined)
      throw usageError('`tend signal` needs a signal and a target', 'Example: tend signal SIGUSR2 api');
    const name = parseSignal(sig);
    const result = await (await ctx.client()).call('process.signal', { target, signal: name });
    ctx.out(values.json === true ? JSON.stringify(result) : `sent ${name} to ${result.map((r) => `${r.name} (pid ${r.pid})`).join(', ')}`);
    return 0;
  },
};
