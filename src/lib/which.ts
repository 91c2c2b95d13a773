import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Finds an executable like `command -v` does; undefined when there is none. */
export function findExecutable(name: string, pathVar: string | undefined, cwd: string): string | undefined {
  const candidates =
    name.includes('/') || isAbsolute(name)
      ? [resolve(cwd, name)]
      : (pathVar ?? '/usr/local/bin:/usr/bin:/bin')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, name));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}
