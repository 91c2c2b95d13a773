import type { ExecSpec } from '../protocol/model.js';

/** Quotes one argument for /bin/sh. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The program and argv for an app. `node` means the Node.js running the daemon, looked up at
 * each spawn, so a Node upgrade is picked up at the next restart instead of a baked-in path.
 */
export function buildCommand(exec: ExecSpec, nodePath: string = process.execPath): { file: string; args: string[] } {
  if (exec.shell) {
    const line = [exec.script, ...exec.args.map(shellQuote)].join(' ');
    return { file: '/bin/sh', args: ['-c', line] };
  }
  if (exec.interpreter === null) return { file: exec.script, args: exec.args };
  const file = exec.interpreter === 'node' ? nodePath : exec.interpreter;
  return { file, args: [...exec.interpreterArgs, exec.script, ...exec.args] };
}
