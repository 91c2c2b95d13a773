import { packageFile } from '../lib/package-files.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { holderNodeFlags } from './holder-flags.js';

/**
 * A PTY app is spawned as its holder (DESIGN.md §8): `node pty-holder.cjs <config>`, which runs
 * the app's command on a pseudo-terminal. The holder is what the supervisor tracks, signals and
 * re-adopts; it exits with the app's status.
 */
export function ptyCommand(command: { file: string; args: string[] }, spec: AppSpec, socket: string): { file: string; args: string[] } {
  const config = { file: command.file, args: command.args, cwd: spec.cwd, socket, name: spec.name, logAnsi: spec.pty?.logAnsi ?? false };
  return { file: process.execPath, args: [...holderNodeFlags(), packageFile(import.meta.url, 'pty-holder.cjs'), JSON.stringify(config)] };
}
