import type { ErrorCode, WireError } from './protocol/errors.js';

/** Fixed CLI exit codes (documented in the README). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
} as const;

const BRAND = Symbol.for('tend.error');

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  E_USAGE: ExitCode.usage,
  E_INVALID_VALUE: ExitCode.usage,
  E_INVALID_SIGNAL: ExitCode.usage,
  E_SCRIPT_NOT_FOUND: ExitCode.usage,
  E_SCRIPT_IS_DIRECTORY: ExitCode.usage,
  E_INTERPRETER_NOT_FOUND: ExitCode.usage,
  E_CONFIG_INVALID: ExitCode.usage,
  E_HOME_INVALID: ExitCode.usage,
  E_HOME_UNSAFE: ExitCode.usage,
  E_FRAME_TOO_LARGE: ExitCode.usage,
  E_DAEMON_UNREACHABLE: ExitCode.unreachable,
  E_DAEMON_START_FAILED: ExitCode.unreachable,
  E_PROTOCOL_MISMATCH: ExitCode.unreachable,
};

export interface TendErrorOptions {
  hint?: string | undefined;
  details?: unknown;
  cause?: unknown;
}

/** Every error tend reports: a stable code, a one-line message, a hint saying what to do. */
export class TendError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: TendErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TendError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return EXIT_BY_CODE[this.code] ?? ExitCode.failed;
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    if (this.hint !== undefined) wire.hint = this.hint;
    if (this.details !== undefined) wire.details = this.details;
    return wire;
  }

  static fromWire(wire: WireError): TendError {
    return new TendError(wire.code, wire.message, { hint: wire.hint, details: wire.details });
  }
}

/** True for any TendError, even one from another copy of this module. */
export function isTendError(value: unknown): value is TendError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Shorthand for a usage error (exit code 2). */
export function usageError(message: string, hint?: string): TendError {
  return new TendError('E_USAGE', message, { hint });
}

/** Validation message shape: "Expected `x` to be …, got `y` (type)". */
export function invalidValue(field: string, expected: string, got: unknown, hint?: string): TendError {
  const shown = typeof got === 'string' ? got : JSON.stringify(got);
  return new TendError('E_INVALID_VALUE', `Expected \`${field}\` to be ${expected}, got \`${shown}\` (${typeof got})`, {
    hint: hint ?? `Run \`tend help config\` for what \`${field}\` accepts.`,
    details: { field, expected, got },
  });
}
