import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSpec } from '../protocol/model.js';
import { holderNodeFlags } from './holder-flags.js';

let holderScript: string | null = null;

/** The bundled holder (dist/pty-holder.cjs), found from any layout: the bundles or tsc's dist/src. */
export function findHolderScript(): string {
  if (holderScript !== null) return holderScript;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'pty-holder.cjs'), join(dir, 'dist', 'pty-holder.cjs')]) {
      if (existsSync(candidate)) return (holderScript = candidate);
    }
    dir = dirname(dir);
  }
  throw new Error('dist/pty-holder.cjs is missing: run `npm run build`');
}

/**
 * A PTY app is spawned as its holder (DESIGN.md §8): `node pty-holder.cjs <config>`, which runs
 * the app's command on a pseudo-terminal. The holder is what the supervisor tracks, signals and
 * re-adopts; it exits with the app's status.
 */
export function ptyCommand(command: { file: string; args: string[] }, spec: AppSpec, socket: string): { file: string; args: string[] } {
  const config = { file: command.file, args: command.args, cwd: spec.cwd, socket, name: spec.name, logAnsi: spec.pty?.logAnsi ?? false };
  return { file: process.execPath, args: [...holderNodeFlags(), findHolderScript(), JSON.stringify(config)] };
}
