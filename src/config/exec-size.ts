import { TendError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';

/**
 * Linux refuses an exec whose single argument or environment string is longer than
 * MAX_ARG_STRLEN (32 pages = 128 KiB) with E2BIG; the whole argv + environment share ARG_MAX
 * (a quarter of the stack limit, 2 MiB by default). Checked up front so the start fails with a
 * message instead of an app that never runs.
 */
export const MAX_ARG_BYTES = 128 * 1024 - 1;
export const MAX_EXEC_BYTES = 2 * 1024 * 1024 - 64 * 1024;

/** Refuses argv/env strings that exec(2) would reject with E2BIG. */
export function checkExecSize(spec: AppSpec, where: string): void {
  const strings = [
    spec.exec.script,
    ...spec.exec.args,
    ...spec.exec.interpreterArgs,
    ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
  ];
  let total = 0;
  for (const text of strings) {
    const bytes = Buffer.byteLength(text) + 1;
    total += bytes;
    if (bytes - 1 > MAX_ARG_BYTES) {
      const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
      throw new TendError(
        'E_INVALID_VALUE',
        `${where}: an argument or environment value is ${bytes - 1} bytes (\`${shown}\`); Linux refuses any over ${MAX_ARG_BYTES} (E2BIG)`,
        {
          hint: 'Pass large data through a file or stdin instead of an argument or variable.',
        },
      );
    }
  }
  if (total > MAX_EXEC_BYTES) {
    throw new TendError(
      'E_INVALID_VALUE',
      `${where}: arguments and environment total ${total} bytes; Linux refuses more than about ${MAX_EXEC_BYTES} (E2BIG)`,
      {
        hint: 'Pass large data through a file or stdin instead of arguments or variables.',
      },
    );
  }
}
