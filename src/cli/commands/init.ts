import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFailed } from '../../store/atomic-write.js';
import { join } from 'node:path';
import { TendError } from '../../errors.js';
import { INIT_FILE_NAME, renderInitTemplate } from '../../config/init-template.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const INIT_OPTIONS = { name: { type: 'string' }, script: { type: 'string' } } satisfies Options;

export const init: Command = {
  options: INIT_OPTIONS,
  help: `
Synopsis
  tend init [--name N] [--script S]

Notes
  Writes ${INIT_FILE_NAME} in the current folder: a commented example that is also a valid PM2
  ecosystem file. Refuses to overwrite an existing file. Then: tend start ${INIT_FILE_NAME}

Exit codes
  0 written; 2 the file exists`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values } = parseFlags(argv, INIT_OPTIONS, 'init');
    const file = join(ctx.cwd, INIT_FILE_NAME);
    if (existsSync(file))
      throw new TendError('E_USAGE', `${file} already exists`, { hint: 'Edit it, or remove it first to get a fresh example.' });
    const opts: { name?: string; script?: string } = {};
    if (values.name !== undefined) opts.name = values.name;
    if (values.script !== undefined) opts.script = values.script;
    try {
      writeFileSync(file, renderInitTemplate(opts), { flag: 'wx' });
    } catch (err) {
      // A partly written example is removed; a file that appeared meanwhile (EEXIST) is not ours.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        try {
          unlinkSync(file);
        } catch {
          /* never created */
        }
      throw writeFailed(file, err);
    }
    ctx.out(`wrote ${file}; start it with: tend start ${INIT_FILE_NAME}`);
    return 0;
  },
};
