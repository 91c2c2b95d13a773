/**
 * Log lines and the files they are read back from.
 * No Node imports here: this folder is type-checked with `"types": []` so a browser bundle can
 * import it.
 */

export type LogStream = 'out' | 'err';

export interface LogRecord {
  time: number;
  app: string;
  id: number;
  stream: LogStream;
  message: string;
}

/** One log file to read back, and what to label its lines with (`logs.sources`). */
export interface LogSource {
  file: string;
  app: string;
  id: number;
  /** The stream of a raw file's lines (a merged raw file cannot tell them apart: say `out`). */
  stream: LogStream;
  type: 'raw' | 'json';
}

export interface LogPaths {
  out: string | null;
  err: string | null;
  combined: string | null;
}
