/**
 * An app's name as the tables show it (`list`, monit, the dashboard): marked when it restarts on
 * file changes, `api (watch)`, and when it runs on a terminal you can attach to, `console (pty)`.
 */
export function appLabel(p: { name: string; watching?: boolean | undefined; pty?: boolean | undefined }): string {
  return p.name + (p.watching === true ? ' (watch)' : '') + (p.pty === true ? ' (pty)' : '');
}
