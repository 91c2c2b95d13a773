import type { AppSpec } from '../protocol/app-spec.js';
import type { LogPaths } from '../protocol/logs.js';

/**
 * The environment an app's process gets: its spec's, plus tend's own variables, plus, for apps
 * started the PM2 way, the per-app variables PM2 puts in every app's environment that apps read
 * (`pm_id` for per-instance work, `name`, `pm_exec_path`, `pm_cwd`, the log paths). A variable
 * the user set keeps the user's value.
 */
export function appEnv(spec: AppSpec, id: number, logs: LogPaths, extra: Record<string, string>): Record<string, string> {
  const own = { TEND_APP_NAME: spec.name, TEND_APP_ID: String(id), NODE_APP_INSTANCE: '0' };
  if (spec.pm2 !== true) return { ...spec.env, ...own, ...extra };
  const pm2: Record<string, string> = {
    pm_id: String(id),
    name: spec.name,
    namespace: spec.namespace,
    pm_exec_path: spec.exec.script,
    pm_cwd: spec.cwd,
    exec_interpreter: spec.exec.interpreter ?? 'none',
    exec_mode: 'fork_mode',
    instances: '1',
    pm_out_log_path: logs.out ?? '/dev/null',
    pm_err_log_path: logs.err ?? '/dev/null',
    // PM2 sets PWD to the app's cwd (tend drops the shell's PWD, which would be wrong here).
    PWD: spec.cwd,
  };
  const user = new Set(spec.userEnv ?? []);
  for (const k of Object.keys(pm2)) if (user.has(k)) delete pm2[k];
  return { ...pm2, ...spec.env, ...own, ...extra };
}

/** Node apps always get an IPC channel, as in PM2: `process.send` exists even without wait_ready. */
export function wantsIpc(spec: AppSpec): boolean {
  return spec.waitReady || spec.exec.interpreter === 'node';
}
