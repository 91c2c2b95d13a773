import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (package.json + bench/)');
    dir = parent;
  }
}

export const repoRoot = findRepoRoot();
export const tendBin = join(repoRoot, 'bin', 'tend');
export const resultsDir = join(repoRoot, 'bench', 'results');

export function fixture(name: string): string {
  return join(repoRoot, 'test', 'fixtures', 'bench', name);
}

/** Where PM2 is installed for the bench: outside the repo, never a dependency. */
export function benchCache(): string {
  const fromEnv = process.env.TEND_BENCH_CACHE;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.cache', 'tend-bench');
}
