/**
 * Variables that belong to the login session, not to the app: saving them would leak the
 * session (SSH_AUTH_SOCK, TMUX) into every resurrected app.
 */
const SESSION_VARS = /^(SSH_.*|TERM|TERM_PROGRAM.*|COLORTERM|TMUX.*|STY|WINDOW|DISPLAY|WAYLAND_DISPLAY|XDG_SESSION_.*|XDG_VTNR|XDG_SEAT|SHLVL|PWD|OLDPWD|_|TEND_HOME|TEND_DAEMON_.*|TEND_TEST_.*|TEND_INSTANCE_TOKEN|TEND_APP_NAME|TEND_APP_ID|NODE_CHANNEL_FD|NODE_CHANNEL_SERIALIZATION_MODE|NODE_UNIQUE_ID)$/;

/** The part of a CLI's environment an app inherits (DESIGN.md §4). */
export function inheritableEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !SESSION_VARS.test(k)) out[k] = v;
  }
  return out;
}

/** Words that mark a secret when they appear anywhere in a name (`NPMTOKEN`, `DBPASSWORD`). */
const SECRET_ANYWHERE = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|DATABASE_URL|CONN(ECTION)?_?STRING)/i;

/** Words that mark a secret only as a whole word of the name: `API_KEY`, `apiKey`, not `KEYBOARD_LAYOUT` or `MONKEY`. */
const SECRET_WORD = /^(KEY|KEYS|APIKEY|ACCESSKEY|SECRETKEY|PRIVATEKEY|PASS|PWD|PRIVATE|AUTH|AUTHORIZATION|COOKIE|COOKIES|SESSION|DSN|SALT|SIGNATURE)$/;

/** True when a variable's name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  if (SECRET_ANYWHERE.test(name)) return true;
  // Words: split at `_`, `-`, `.` and camelCase boundaries (apiKey → api, Key).
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split(/[_\-.]+/);
  return words.some((w) => SECRET_WORD.test(w));
}

/** `scheme://user:password@` inside any text (a URL alone, or in a list or a command line). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s@/?#]+)@/gi;

/** True when a value carries a password in a URL (`redis://:pw@h`, `mongodb://u:pw@h`). */
export function hasUrlPassword(value: string): boolean {
  URL_PASSWORD.lastIndex = 0;
  return URL_PASSWORD.test(value);
}

/** The text with the password part of every URL replaced: `redis://:[redacted]@h`. */
export function redactText(value: string): string {
  return value.replace(URL_PASSWORD, '$1$2:[redacted]@');
}

/** True when a variable must be kept out of world-readable places: its name or its value looks secret. */
export function isSecretVar(name: string, value: string): boolean {
  return isSecretName(name) || hasUrlPassword(value);
}

/** A copy of env with secret-looking values replaced, and passwords in URL-shaped values cut out. */
export function redactEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = isSecretName(k) ? '[redacted]' : redactText(v);
  return out;
}
