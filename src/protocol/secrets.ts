import type { AppSpec, ExecSpec, HealthSpec, HookAction, Hooks } from './app-spec.js';
import type { ProcessDetail } from './process-info.js';

/**
 * The one secret rule (DESIGN.md §4), used by every view (describe, list, env, the dashboard and
 * its API, hooks' payloads) and every exporter (systemd, Kubernetes, Compose): a variable is
 * secret when its NAME looks secret (`*TOKEN*`, `API_KEY`, …) or its VALUE carries a password in
 * a URL (`REDIS_URL=redis://:pw@db`). Views redact; exporters move such variables out of
 * world-readable files.
 */

/** Words that mark a secret when they appear anywhere in a name (`NPMTOKEN`, `DBPASSWORD`). */
const SECRET_ANYWHERE = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|DATABASE_URL|CONN(ECTION)?_?STRING)/i;

/** Words that mark a secret only as a whole word of the name: `API_KEY`, `apiKey`, not `KEYBOARD_LAYOUT` or `MONKEY`. */
const SECRET_WORD =
  /^(KEY|KEYS|APIKEY|ACCESSKEY|SECRETKEY|PRIVATEKEY|PASS|PWD|PRIVATE|AUTH|AUTHORIZATION|COOKIE|COOKIES|SESSION|DSN|SALT|SIGNATURE)$/;

/** `scheme://user:password@` inside any text (a URL alone, or in a list or a command line). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@]*):([^\s@/?#]+)@/gi;

export const REDACTED = '[redacted]';

/** True when a variable's name looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  if (SECRET_ANYWHERE.test(name)) return true;
  // Words: split at `_`, `-`, `.` and camelCase boundaries (apiKey → api, Key).
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[_\-.]+/);
  return words.some((w) => SECRET_WORD.test(w));
}

/** True when a text carries a password in a URL (`redis://:pw@h`, `mongodb://u:pw@h`). */
export function hasUrlPassword(value: string): boolean {
  URL_PASSWORD.lastIndex = 0;
  return URL_PASSWORD.test(value);
}

/**
 * A command line (script, arguments, interpreter arguments) that carries a URL password: views
 * redact it (redactSpec); an exporter must write the argv as it is, and says so.
 */
export function execHasUrlPassword(exec: ExecSpec): boolean {
  return [exec.script, ...exec.args, ...exec.interpreterArgs].some(hasUrlPassword);
}

/** What an exporter says of such a command line, after the app's name and where it wrote it. */
export const COMMAND_LINE_SECRET =
  'its command line holds a URL password, written there as it is: pass it in a variable instead (a variable whose value holds a URL password is exported as a secret)';

/** THE rule: a variable is secret when its name looks secret or its value holds a URL password. */
export function isSecret(name: string, value: string): boolean {
  return isSecretName(name) || hasUrlPassword(value);
}

/** The text with the password part of every URL replaced: `redis://:[redacted]@h`. */
export function redactText(value: string): string {
  return value.replace(URL_PASSWORD, `$1$2:${REDACTED}@`);
}

/** A copy of env with secret values hidden: whole values for secret names, the password part of URLs. */
export function redactEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = isSecretName(k) ? REDACTED : redactText(v);
  return out;
}

function redactHealth(h: HealthSpec | null): HealthSpec | null {
  if (h === null) return null;
  const p = h.probe;
  if (p.type === 'http') return { ...h, probe: { ...p, url: redactText(p.url) } };
  if (p.type === 'exec') return { ...h, probe: { ...p, command: redactText(p.command) } };
  return h;
}

function redactHooks(hooks: Hooks): Hooks {
  const out: Hooks = {};
  for (const [event, a] of Object.entries(hooks) as Array<[keyof Hooks, HookAction]>) {
    out[event] = a.type === 'http' ? { ...a, url: redactText(a.url) } : { ...a, command: redactText(a.command) };
  }
  return out;
}

/** A spec as views show it: environment, command line, health check and hooks redacted. */
export function redactSpec(spec: AppSpec): AppSpec {
  const e = spec.exec;
  return {
    ...spec,
    env: redactEnv(spec.env),
    exec: { ...e, script: redactText(e.script), args: e.args.map(redactText), interpreterArgs: e.interpreterArgs.map(redactText) },
    health: redactHealth(spec.health),
    ...(spec.hooks === undefined ? {} : { hooks: redactHooks(spec.hooks) }),
  };
}

/** `describe` as views show it: the spec, the reasons, the last check's message and the sampled command lines redacted. */
export function redactDetail(d: ProcessDetail): ProcessDetail {
  return {
    ...d,
    spec: redactSpec(d.spec),
    reason: d.reason === null ? null : redactText(d.reason),
    tree: d.tree.map((p) => ({ ...p, command: redactText(p.command) })),
    lastLimitRestart: d.lastLimitRestart === null ? null : { ...d.lastLimitRestart, reason: redactText(d.lastLimitRestart.reason) },
    lastHealthCheck: d.lastHealthCheck === null ? null : { ...d.lastHealthCheck, message: redactText(d.lastHealthCheck.message) },
  };
}
