import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TendError } from '../errors.js';

/**
 * The one way to find a file of this installation (a bundled entry such as dist/holder.cjs, the
 * dashboard's files, bin/tend) from any module, whatever runs it: a bundle in dist/ or
 * dist/commands/, or tsc's output under dist/src/. Each is found from the nearest `dist` folder
 * above the module, never from a guess of the module's own layout.
 */
function distDir(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (basename(dir) === 'dist') return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new TendError('E_INTERNAL', `tend is not running from its package (no dist folder above ${fileURLToPath(moduleUrl)})`, {
        hint: 'Run tend from its package (bin/tend), built with `npm run build`.',
      });
    }
    dir = parent;
  }
}

/** `dist/<relative>` of this installation; it must exist (it is made by `npm run build`). */
export function packageFile(moduleUrl: string, relative: string): string {
  const file = join(distDir(moduleUrl), relative);
  if (!existsSync(file)) throw new TendError('E_INTERNAL', `${file} is missing`, { hint: 'Rebuild tend: `npm run build`.' });
  return file;
}
