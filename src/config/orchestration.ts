import { invalidValue } from '../errors.js';
import type { Dependency, DependencyCondition, HookAction, HookEvent, Hooks } from '../protocol/app-spec.js';

const CONDITIONS: readonly DependencyCondition[] = ['started', 'ready', 'healthy', 'completed'];
export const HOOK_EVENTS: readonly HookEvent[] = ['crash', 'errored', 'restart', 'online', 'stop'];

/** `depends_on: ['db']`, `'db'` or `{ db: 'started' | 'ready' | 'healthy' }` (a list means `started`). */
export function coerceDependsOn(key: string, value: unknown): Dependency[] {
  const expected = "app names (`['db']`) or `{ db: 'started' | 'ready' | 'healthy' | 'completed' }`";
  const out: Dependency[] = [];
  if (typeof value === 'string') value = [value];
  if (Array.isArray(value)) {
    for (const v of value) {
      if (typeof v !== 'string' || v.length === 0) throw invalidValue(key, expected, value);
      out.push({ app: v, condition: 'started' });
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [app, condition] of Object.entries(value)) {
      if (typeof condition !== 'string' || !(CONDITIONS as readonly string[]).includes(condition)) {
        throw invalidValue(`${key}.${app}`, `one of ${CONDITIONS.map((c) => `\`${c}\``).join(', ')}`, condition);
      }
      out.push({ app, condition: condition as DependencyCondition });
    }
  } else throw invalidValue(key, expected, value);
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.app)) throw invalidValue(key, 'each app named once', value);
    seen.add(d.app);
  }
  return out;
}

/**
 * `hooks: { crash: 'command', online: { url: 'http://127.0.0.1:9000/hook' } }`: a command (run
 * through /bin/sh with the event as JSON on stdin) or an HTTP POST of the event to a URL.
 */
export function coerceHooks(key: string, value: unknown): Hooks {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidValue(key, `an object of ${HOOK_EVENTS.join(' | ')} → command or { url }`, value);
  const out: Hooks = {};
  for (const [event, action] of Object.entries(value)) {
    if (action === undefined || action === null) continue;
    if (!(HOOK_EVENTS as readonly string[]).includes(event))
      throw invalidValue(`${key}.${event}`, `one of ${HOOK_EVENTS.map((e) => `\`${e}\``).join(', ')} (unknown event)`, event);
    out[event as HookEvent] = hookAction(`${key}.${event}`, action);
  }
  return out;
}

function hookAction(key: string, action: unknown): HookAction {
  if (typeof action === 'string' && action.trim().length > 0) return { type: 'command', command: action };
  if (typeof action === 'object' && action !== null && !Array.isArray(action)) {
    const o = action as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'url' && k !== 'command');
    if (extra.length === 0 && typeof o.command === 'string' && o.url === undefined && o.command.trim().length > 0)
      return { type: 'command', command: o.command };
    if (extra.length === 0 && typeof o.url === 'string' && o.command === undefined) {
      let u: URL | null = null;
      try {
        u = new URL(o.url);
      } catch {
        /* reported below */
      }
      if (u !== null && (u.protocol === 'http:' || u.protocol === 'https:')) return { type: 'http', url: u.href };
    }
  }
  throw invalidValue(key, "a command line, `{ command }` or `{ url: 'http://…' }`", action);
}
