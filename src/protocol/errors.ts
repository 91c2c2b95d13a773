/** Stable error codes: clients rebuild errors by code, never by `instanceof` across processes. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_INVALID_VALUE'
  | 'E_APP_NOT_FOUND'
  | 'E_APP_EXISTS'
  | 'E_SCRIPT_NOT_FOUND'
  | 'E_SCRIPT_IS_DIRECTORY'
  | 'E_INTERPRETER_NOT_FOUND'
  | 'E_INVALID_SIGNAL'
  | 'E_NOT_RUNNING'
  | 'E_RELOAD_FAILED'
  | 'E_CONFIG_INVALID'
  | 'E_HOME_INVALID'
  | 'E_DAEMON_UNREACHABLE'
  | 'E_DAEMON_START_FAILED'
  | 'E_PROTOCOL'
  | 'E_PROTOCOL_MISMATCH'
  | 'E_FRAME_TOO_LARGE'
  | 'E_TIMEOUT'
  | 'E_STATE_CORRUPT'
  | 'E_WEB_LISTEN'
  /** A `listen` address of an app is taken by another socket. */
  | 'E_PORT_IN_USE'
  | 'E_WRITE_FAILED'
  | 'E_HOME_UNSAFE'
  | 'E_LOCKED'
  /** A follower (logs, events) read too slowly and the daemon disconnected it. */
  | 'E_SUBSCRIPTION_DROPPED'
  | 'E_UNSUPPORTED_PLATFORM'
  | 'E_INTERNAL';

/** How an error crosses the socket. */
export interface WireError {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
}
