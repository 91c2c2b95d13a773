import { usageError } from '../../errors.js';
import { findDefaultConfig } from '../../config/config-files.js';
import { applyFile } from '../apply-file.js';
import { isConfigArg } from '../config-apps.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const APPLY_OPTIONS = {
  json: { type: 'boolean' },
  only: { type: 'string' },
  env: { type: 'string', multiple: true },
  formation: { type: 'string' },
  port: { type: 'string' },
  'dry-run': { type: 'boolean' },
  prune: { type: 'boolean' },
} satisfies Options;

export const apply: Command = {
  options: APPLY_OPTIONS,
  help: `
Synopsis
  tend apply [config file] [--env NAME] [--only a,b] [--formation web=2] [--port N] [--dry-run] [--prune] [--json]

Options
  --env NAME     layer each app's env_NAME block over its env
  --only a,b     only these apps of the file
  --dry-run      print what would be created, started, restarted or left alone, and which
                 settings changed (\`env.NAME\` for a variable, never its value); change nothing
  --prune        also stop and delete the apps last applied from this file that it no longer has
  --json         print each app with the action taken (created, started, restarted, updated, unchanged, deleted)

Exit codes
  0 done (or, with --dry-run, every app of the file is valid); 1 the daemon refused, or an app could not start (the others do); 2 bad usage or an
  invalid file; 3 daemon unreachable

Notes
  Makes the running apps match the file, touching only what differs: a new app is created, a
  stopped one started, one whose spec changed is restarted with the new spec, and an unchanged
  running app is left alone (the summary line says \`unchanged\`): new code on disk is not picked
  up. To deploy new code, \`tend reload <file>\` reloads every app of the file (zero-downtime for
  cluster apps) and \`tend start|restart <file>\` restarts every one, as PM2 does. Default file:
  the ecosystem.config.*, tend.config.* or Procfile in this folder.`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, APPLY_OPTIONS, 'apply');
    if (positionals.length > 1)
      throw usageError(
        `\`tend apply\` takes one config file, got ${positionals.length} arguments`,
        'Example: tend apply ecosystem.config.js --env production',
      );
    const given = positionals[0];
    const file = given === undefined ? findDefaultConfig(ctx.cwd) : isConfigArg(given, ctx) ? given : undefined;
    if (file === undefined) {
      throw usageError(
        given === undefined ? 'no config file in this folder' : `\`${given}\` is not a config file`,
        'Give an ecosystem.config.js, a .json/.yaml file, a tend.config.* or a Procfile (`tend init` writes one).',
      );
    }
    return applyFile(file, values, ctx, 'apply');
  },
};
