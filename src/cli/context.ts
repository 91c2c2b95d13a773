import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../errors.js';
import { suggest } from '../lib/suggest.js';
import { FLAG_HINTS } from './habits.js';
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
  /**
   * The flags `run` parses: the one list that the help's option lines, the man pages and shell
   * completion are checked against or made from.
   */
  options?: Options;
  run(argv: string[], ctx: CliContext): Promise<number>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, its errors turned into usage errors in tend's words. */
export function parseFlags<O extends Options>(argv: string[], options: O, verb: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(flagMessage(err as Error & { code?: string }, options), `Run \`tend ${verb} --help\` for the options.`);
  }
}

/** parseFlags for a verb that takes no arguments: one given is a usage error (exit 2). */
export function parseFlagsOnly<O extends Options>(argv: string[], options: O, verb: string): ReturnType<typeof parseFlags<O>>['values'] {
  const { values, positionals } = parseFlags(argv, options, verb);
  if (positionals.length > 0)
    throw usageError(
      `\`tend ${verb}\` takes no arguments, got \`${positionals[0] ?? ''}\``,
      `Run \`tend ${verb} --help\` for the options.`,
    );
  return values;
}

// parseArgs' messages, said the way tend says things (one clause, the flag in backticks, a guess).
function flagMessage(err: Error & { code?: string }, options: Options): string {
  const msg = err.message.split('\n')[0] ?? 'invalid arguments';
  const flag = /'(-[^' ]+)/.exec(msg)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const habit = FLAG_HINTS[flag];
    if (habit !== undefined) return `unknown option \`${flag}\`: ${habit}`;
    const names = Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short === undefined ? [] : [`-${o.short}`])]);
    const guess = flag.startsWith('--') ? suggest(flag, names) : undefined;
    return `unknown option \`${flag}\`${guess === undefined ? '' : `; did you mean \`${guess}\`?`}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/argument missing/.test(msg)) return `option \`${flag}\` needs a value`;
    if (/ambiguous/.test(msg)) return `the value of \`${flag}\` starts with \`-\`; write it as \`${flag}=VALUE\``;
    if (/does not take an argument/.test(msg)) return `option \`${flag}\` takes no value`;
  }
  return msg.replace(/\. To specify a positional.*$/, '');
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
