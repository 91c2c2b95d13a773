import { usageError } from '../../errors.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const ENV_OPTIONS = { json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } } satisfies Options;

export const env: Command = {
  options: ENV_OPTIONS,
  help: `
Synopsis
  tend env <name|id> [--json] [--show-secrets]

Options
  --json           the variables as one JSON object
  --show-secrets   do not redact variables whose names look secret, or URL passwords in values

Exit codes
  0 ok; 1 unknown app; 2 bad usage; 3 daemon unreachable

Notes
  Prints the environment the app is started with, one NAME=value per line (PM2's \`pm2 env <id>\`),
  secrets redacted. tend's own variables (TEND_APP_NAME, pm_id, …) are added at each start.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, ENV_OPTIONS, 'env');
    if (positionals.length !== 1) throw usageError('`tend env` needs one app', 'Example: tend env 0 (an id or a name)');
    const target = positionals[0] as string;
    const details = await (await ctx.client()).call('process.describe', { target, showSecrets: values['show-secrets'] === true });
    const vars = Object.assign({}, ...details.map((d) => d.spec.env)) as Record<string, string>;
    const sorted = Object.entries(vars).sort(([a], [b]) => a.localeCompare(b));
    ctx.out(values.json === true ? JSON.stringify(Object.fromEntries(sorted)) : sorted.map(([k, v]) => `${k}=${v}`).join('\n'));
    return 0;
  },
};
