import { TendError, usageError } from '../../errors.js';
import { ptySocketPath } from '../../store/paths.js';
import { attachSession, parseDetachKey } from '../attach-session.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';
import { isTerminal } from '../write-out.js';

const DEFAULT_KEY = 'ctrl-]';

const ATTACH_OPTIONS = { 'detach-key': { type: 'string' } } satisfies Options;

export const attach: Command = {
  options: ATTACH_OPTIONS,
  help: `
Synopsis
  tend attach <name|id> [--detach-key KEY]

Connects this terminal to an app started with --pty (config: pty: true): you see its screen as it
is now, your keys go to it (Ctrl-C too), and its window follows your terminal's size. Several
terminals can attach at once. Detach with Ctrl-] (the app keeps running); change the key with
--detach-key or TEND_DETACH_KEY (ctrl-a … ctrl-z, ctrl-\\, ctrl-], ctrl-^, ctrl-_).

Exit codes
  0 detached, or the app exited; 1 the connection to the app was lost; 2 not a terminal, not a
  pty app, bad key; 3 daemon unreachable`,

  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, ATTACH_OPTIONS, 'attach');
    const target = positionals[0];
    if (target === undefined || positionals.length > 1) throw usageError('`tend attach` needs one app', 'Example: tend attach console');
    const keyText = values['detach-key'] ?? ctx.env.TEND_DETACH_KEY ?? DEFAULT_KEY;
    const detachByte = parseDetachKey(keyText);
    if (detachByte === null)
      throw usageError(`\`${keyText}\` is not a detach key`, 'Use ctrl-a … ctrl-z, ctrl-\\, ctrl-], ctrl-^ or ctrl-_ (default ctrl-]).');
    if (!isTerminal(0)) {
      throw usageError(
        '`tend attach` needs a terminal, and stdin is not one',
        `Run it in a terminal; from a script, type into the app with \`tend send ${target} "line"\`.`,
      );
    }
    const details = await (await ctx.client()).call('process.describe', { target });
    if (details.length !== 1) throw usageError(`\`${target}\` matches ${details.length} apps`, 'Attach to one app: give its name or id.');
    const app = details[0] as (typeof details)[number];
    if (app.spec.pty === undefined) {
      throw usageError(
        `\`${app.name}\` does not run on a terminal, so there is nothing to attach to`,
        `Start it with --pty (config: pty: true); its output is in \`tend logs ${app.name}\`.`,
      );
    }
    if (app.pid === null)
      throw new TendError('E_NOT_RUNNING', `\`${app.name}\` is ${app.status}`, { hint: `Start it first: tend start ${app.name}` });
    const end = await attachSession(ptySocketPath(ctx.paths, app.id), detachByte, app.pid);
    if (end.how === 'detached') {
      ctx.err(`[detached from ${app.name}: it keeps running; tend attach ${app.name} to come back]`);
      return 0;
    }
    if (end.how === 'exited') {
      ctx.err(`[${app.name} exited with ${end.signal ?? `code ${end.code}`}]`);
      return 0;
    }
    throw new TendError('E_NOT_RUNNING', `lost the connection to ${app.name}: ${end.message}`, {
      hint: `Check \`tend describe ${app.name}\`; the app may have exited or be restarting.`,
    });
  },
};
