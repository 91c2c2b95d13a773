import { APP_FIELDS } from '../../config/schema.js';
import { ALIASES, COMMANDS, REWRITES } from '../command-table.js';
import type { CliContext, Command } from '../context.js';
import { readStatusSnapshot } from '../status-snapshot.js';
import { FILES } from './completion.js';

export { FILES };

/**
 * `tend completion --complete <words…>`, what the shell scripts call on TAB: one candidate a line.
 * Run by main.ts, not through the command table (the table loads this lazily; it must not load
 * the table back).
 */
export async function printCompletions(words: string[], ctx: CliContext): Promise<number> {
  const snapshot = readStatusSnapshot(ctx.paths);
  const apps = snapshot === null ? await appsIfRunning(ctx) : snapshot.apps.flatMap((p) => [p.name, p.namespace]);
  const out = await completions({ words: words.length === 0 ? [''] : words, apps, load: async (v) => COMMANDS[v]?.load() });
  if (out.length > 0) ctx.out(out.join('\n'));
  return 0;
}

async function appsIfRunning(ctx: CliContext): Promise<string[]> {
  try {
    const client = await ctx.clientIfRunning();
    if (client === null) return [];
    return (await client.call('process.list', {})).flatMap((p) => [p.name, p.namespace]);
  } catch {
    return [];
  }
}

/**
 * What shell completion offers for a partly typed command line, from the same tables the CLI
 * runs on: the verbs (COMMANDS, PM2 aliases), each command's declared flags, the schema's enum
 * values, and the apps of the running daemon. `FILES` asks the shell for its own file names.
 */

/** Verbs whose positional arguments are apps (names, ids, namespaces or `all`). */
const TARGET_VERBS = new Set([
  'stop',
  'restart',
  'reload',
  'delete',
  'describe',
  'env',
  'reset',
  'logs',
  'events',
  'flush',
  'signal',
  'send',
  'attach',
  'scale',
  'start',
  'export',
]);
/** Verbs whose positional argument may also be a script or a config file. */
const FILE_VERBS = new Set(['start', 'apply', 'run', 'reload', 'restart', 'stop', 'delete', 'export']);
const FIXED_POSITIONALS: Record<string, readonly string[]> = {
  daemon: ['restart', 'stop', 'status', 'run'],
  export: ['systemd', 'kubernetes', 'compose'],
  completion: ['bash', 'zsh', 'fish'],
  help: [...Object.keys(COMMANDS), 'config'],
};
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGKILL'];

export interface CompletionInput {
  /** The words after `tend`, the last one being the word under the cursor (maybe empty). */
  words: readonly string[];
  /** Names of the managed apps and namespaces (empty when no daemon runs). */
  apps: readonly string[];
  load(verb: string): Promise<Command | undefined>;
}

export async function completions({ words, apps, load }: CompletionInput): Promise<string[]> {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const match = (list: readonly string[]): string[] => [...new Set(list)].filter((w) => w.startsWith(current)).sort();
  if (before.length === 0)
    return match([...Object.keys(COMMANDS), ...Object.keys(ALIASES), ...Object.keys(REWRITES), 'help', 'completion']);
  const first = before[0] as string;
  const verb = REWRITES[first]?.[0] ?? ALIASES[first] ?? first;
  const command = await load(verb);
  const options = command?.options ?? {};
  const prev = before[before.length - 1] as string;
  const prevOption = prev.startsWith('--') ? options[prev.slice(2)] : undefined;
  if (prevOption?.type === 'string' && !current.startsWith('-')) return valuesOf(prev.slice(2), current);
  if (current.startsWith('-')) {
    const flags = Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short === undefined ? [] : [`-${o.short}`])]);
    return match(current.startsWith('--') ? flags.filter((f) => f.startsWith('--')) : flags);
  }
  const fixed = FIXED_POSITIONALS[verb];
  const positionals = before.slice(1).filter((w) => !w.startsWith('-'));
  if (fixed !== undefined && positionals.length === 0) return match(fixed);
  if (verb === 'signal' && positionals.length === 0) return match(SIGNALS);
  const out = TARGET_VERBS.has(verb) ? match([...apps, 'all']) : [];
  return FILE_VERBS.has(verb) && out.length === 0 ? [FILES] : out;
}

/** Values of a flag: the schema's enum values, or file names for paths. */
function valuesOf(flag: string, current: string): string[] {
  const field = APP_FIELDS.find((f) => f.key === flag.replace(/-/g, '_'));
  if (field?.type === 'enum') return (field.values ?? []).filter((v) => v.startsWith(current));
  if (field?.type === 'signal') return SIGNALS.filter((v) => v.startsWith(current));
  if (flag === 'interpreter') return ['node', 'python3', 'bash', 'sh', 'ruby', 'perl', 'bun', 'none'].filter((v) => v.startsWith(current));
  if (flag === 'log-format') return ['text', 'json'].filter((v) => v.startsWith(current));
  return [FILES];
}
