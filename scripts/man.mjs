// Writes dist/man/*.1 from the built CLI's help texts (src/cli/man-pages.ts): run by the build.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

const { manPages } = await import('../dist/src/cli/man-pages.js');
mkdirSync('dist/man', { recursive: true });
for (const f of readdirSync('dist/man')) rmSync(`dist/man/${f}`);
const pages = await manPages();
for (const [name, text] of pages) writeFileSync(`dist/man/${name}`, text);
