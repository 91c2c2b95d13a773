import { constants } from 'node:os';
import { TendError } from '../errors.js';

/** Normalizes `term`, `SIGTERM`, `15` to `SIGTERM`; throws E_INVALID_SIGNAL otherwise. */
export function parseSignal(value: unknown, field = 'signal'): NodeJS.Signals {
  const table = constants.signals as Record<string, number>;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const n = Number(value);
    const name = Object.keys(table).find((k) => table[k] === n);
    if (name !== undefined) return name as NodeJS.Signals;
  } else if (typeof value === 'string') {
    const upper = value.trim().toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (table[name] !== undefined) return name as NodeJS.Signals;
  }
  throw new TendError(
    'E_INVALID_SIGNAL',
    `Expected \`${field}\` to be a signal name like SIGTERM, SIGINT or SIGUSR2, got \`${String(value)}\``,
    {
      hint: 'Run `kill -l` to list signal names.',
    },
  );
}
