import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile } from '../lib/package-files.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The files the dashboard is made of, shipped in the package (dist/web): nothing from a CDN. */
export const ASSET_NAMES = ['index.html', 'app.js', 'style.css', 'uPlot.iife.min.js', 'uPlot.min.css'] as const;

export interface Asset {
  body: Buffer;
  type: string;
}

/** Loads every asset once (a few hundred KB) from the first folder that has them. */
export function loadAssets(): Map<string, Asset> {
  const dir = packageFile(import.meta.url, 'web');
  const out = new Map<string, Asset>();
  for (const name of ASSET_NAMES) {
    const ext = name.slice(name.lastIndexOf('.'));
    out.set(name, { body: readFileSync(join(dir, name)), type: TYPES[ext] ?? 'application/octet-stream' });
  }
  return out;
}
