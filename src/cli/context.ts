import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../errors.js';
import type { RpcClient } from '../rpc/client.js';
import type { TendPaths } from '../store/paths.js';

/** What every command receives: no globals, so commands are testable in-process. */
export interface CliContext {
  paths: TendPaths;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
  out(text: string): void;
  err(text: string): void;
  /** Connects to the daemon, launching it if needed (cached per command). */
  client(): Promise<RpcClient>;
  /** Connects only when a daemon already runs. */
  clientIfRunning(): Promise<RpcClient | null>;
}

export interface Command {
  /** Synopsis / options / exit codes / notes, printed by `--help`. */
  help: string;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, its errors turned into usage errors that say what to do. */
export function parseFlags<O extends Options>(argv: string[], options: O, verb: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0] ?? 'invalid arguments';
    throw usageError(msg.replace(/\. To specify a positional.*$/, ''), `Run \`tend ${verb} --help\` for the options.`);
  }
}

/**
 * parseArgs reads `--kill-timeout -5` as two options; join such a value to its flag
 * (`--kill-timeout=-5`) so the value's own validation reports it.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const opt = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (opt?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}

/** Splits argv at the first `--`: what follows is passed through untouched. */
export function splitAtDashDash(argv: string[]): { own: string[]; rest: string[] | null } {
  const i = argv.indexOf('--');
  return i === -1 ? { own: argv, rest: null } : { own: argv.slice(0, i), rest: argv.slice(i + 1) };
}
