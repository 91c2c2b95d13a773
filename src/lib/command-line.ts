import { shellLine } from './split-args.js';
import type { ExecSpec } from '../protocol/app-spec.js';

/**
 * The program and argv for an app: the one rule, used by the spawner and by every export (which
 * then decide how the program is found: systemd by absolute path, an image by its PATH). `node`
 * means the Node.js running the daemon, looked up at each spawn, so a Node upgrade is picked up
 * at the next restart instead of a baked-in path.
 */
export function buildCommand(exec: ExecSpec, nodePath: string = process.execPath): { file: string; args: string[] } {
  if (exec.shell) {
    return { file: '/bin/sh', args: ['-c', shellLine(exec.script, exec.args)] };
  }
  if (exec.interpreter === null) return { file: exec.script, args: exec.args };
  const file = exec.interpreter === 'node' ? nodePath : exec.interpreter;
  return { file, args: [...exec.interpreterArgs, exec.script, ...exec.args] };
}
