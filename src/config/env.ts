/**
 * Variables that belong to the login session, not to the app: saving them would leak the
 * session (SSH_AUTH_SOCK, TMUX) into every resurrected app.
 */
const SESSION_VARS =
  /^(SSH_.*|TERM|TERM_PROGRAM.*|COLORTERM|TMUX.*|STY|WINDOW|DISPLAY|WAYLAND_DISPLAY|XDG_SESSION_.*|XDG_VTNR|XDG_SEAT|SHLVL|PWD|OLDPWD|_|TEND_HOME|TEND_DAEMON_.*|TEND_TEST_.*|TEND_INSTANCE_TOKEN|TEND_APP_NAME|TEND_APP_ID|NODE_CHANNEL_FD|NODE_CHANNEL_SERIALIZATION_MODE|NODE_UNIQUE_ID)$/;

/** The part of a CLI's environment an app inherits (DESIGN.md §4). */
export function inheritableEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !SESSION_VARS.test(k)) out[k] = v;
  }
  return out;
}
