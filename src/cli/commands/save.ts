import { parseFlagsOnly, type CliContext, type Command, type Options } from '../context.js';

const SAVE_OPTIONS = { force: { type: 'boolean' }, json: { type: 'boolean' } } satisfies Options;

/** `2 app(s)`, or `2 app(s), 5 processes` when instances make them differ (resurrect says the same). */
export function appCount(apps: number, processes: number | undefined): string {
  return `${apps} app(s)${processes === undefined || processes === apps ? '' : `, ${processes} processes`}`;
}

export const save: Command = {
  options: SAVE_OPTIONS,
  help: `
Synopsis
  tend save [--force] [--json]

Options
  --force  save even when no app is running (resurrect and boot will then start nothing)
  --json   print {file, apps} as JSON

Exit codes
  0 saved; 1 failed; 2 nothing to save without --force; 3 daemon unreachable

Notes
  Writes the running set (every app that is not stopped: its spec and the environment it was
  started with) to TEND_HOME/dump.json, readable by its owner only (0600), atomically, keeping
  the previous file as dump.json.bak. \`tend resurrect\` and the boot unit (\`tend startup\`)
  start this set again. Nothing else ever writes this file: a daemon restart, \`tend kill\` or
  a shutdown leave it as you saved it. Secrets are saved with their real values (the app needs
  them after a reboot); \`list\` and \`describe\` redact them.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const values = parseFlagsOnly(argv, SAVE_OPTIONS, 'save');
    const params = values.force === true ? { force: true } : {};
    const result = await (await ctx.client()).call('dump.save', params);
    if (values.json === true) ctx.out(JSON.stringify(result));
    else
      ctx.out(
        `saved ${appCount(result.apps.length, result.processes)} to ${result.file}${result.apps.length > 0 ? `: ${result.apps.join(', ')}` : ''}`,
      );
    return 0;
  },
};
