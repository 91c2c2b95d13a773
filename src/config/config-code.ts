import type { Readable } from 'node:stream';
import { TendError } from '../errors.js';
import { parseDuration } from '../lib/duration.js';
import { packageFile } from '../lib/package-files.js';
import { FrameDecoder } from '../rpc/framing.js';
import type { ConfigCodeReply } from './config-code-child.js';

/** Environment variable that sets how long a JS config file may take to load. */
export const CONFIG_TIMEOUT_ENV = 'TEND_CONFIG_TIMEOUT';
export const DEFAULT_CONFIG_TIMEOUT_MS = 10_000;

// Grace for the last bytes of the reply to arrive once the child has exited.
const DRAIN_AFTER_EXIT_MS = 1000;

/** `TEND_CONFIG_TIMEOUT` (a duration: `30s`, `1500`) or the 10 s default. */
export function configTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[CONFIG_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CONFIG_TIMEOUT_MS;
  const ms = (() => {
    try {
      return parseDuration(raw, CONFIG_TIMEOUT_ENV);
    } catch {
      return 0;
    }
  })();
  if (ms <= 0) {
    throw new TendError('E_USAGE', `Expected ${CONFIG_TIMEOUT_ENV} to be a positive duration like \`30s\` or \`1500\`, got \`${raw}\``, {
      hint: `Unset ${CONFIG_TIMEOUT_ENV} for the 10s default.`,
    });
  }
  return ms;
}

// The bundle made by scripts/bundle.mjs, beside the command bundles.
/** The loader's reply (the exported data as JSON) is refused past this size. */
const REPLY_MAX_BYTES = 64 * 1024 * 1024;
const childEntry = (): string => packageFile(import.meta.url, 'commands/config-code-child.cjs');

/** How a failed load reads, after the file's name: "<file> <what>". */
export interface ConfigCodeFailure {
  what: string;
  hint?: string;
  /** The config's own error message when it threw, for hints. */
  thrown?: string;
}

/**
 * Evaluates a JS config file (`.js/.cjs/.mjs`) in a child process and returns its export as plain
 * data. Why a child: a config is code, and code can loop forever (`while (1) {}`), export a
 * promise that never settles, or leave a `setInterval` running; in the CLI's own process each of
 * these hangs the command. The child gets `timeoutMs` (then it and its process group are
 * killed), a never-settling export is reported as such, and the child exits as soon as it has
 * answered, so nothing the config left running is waited for. Its stdout goes to our stderr, so
 * a chatty config cannot corrupt `--json` output. Rejects with a ConfigCodeFailure.
 */
export async function evaluateConfigCode(file: string, timeoutMs = configTimeoutMs()): Promise<unknown> {
  const entry = childEntry();
  // Loaded here: node:child_process (with dgram, net and streams) costs every `tend start` and
  // `tend restart` a few ms of start-up, and only a JS config file needs it.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, file], { stdio: ['ignore', 2, 2, 'pipe'], detached: true });
    const channel = child.stdio[3] as Readable;
    const decoder = new FrameDecoder(REPLY_MAX_BYTES);
    let done = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: { value: unknown } | { failure: ConfigCodeFailure }): void => {
      if (done) return;
      done = true;
      clearTimeout(limitTimer);
      clearTimeout(drainTimer);
      // Whatever the config spawned may still hold the pipe: stop listening to it.
      channel.destroy();
      child.unref();
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.failure);
    };
    const onReply = (reply: ConfigCodeReply): void => {
      if (reply.ok) return finish({ value: reply.value });
      if (reply.kind === 'never-settles')
        return finish({
          failure: {
            what: 'exports a promise that never settles (nothing is left that could resolve it)',
            hint: 'Make sure every path of the exported promise resolves or rejects.',
          },
        });
      if (reply.kind === 'function')
        return finish({
          failure: {
            what: 'is not an object: it gives a function',
            hint: 'A config gives `{ apps: [{ name, script, … }] }`, not a function that returns it.',
          },
        });
      // One line either way (a circular structure's message has three); a throw keeps its whole message for the hint.
      const what = reply.kind === 'not-json' ? 'exports a value that is not plain data' : 'threw while loading';
      finish({ failure: { what: `${what}: ${firstLine(reply.message)}`, ...(reply.kind === 'threw' ? { thrown: reply.message } : {}) } });
    };
    const limitTimer = setTimeout(() => {
      killGroup(child.pid);
      finish({
        failure: {
          what: `did not finish loading within ${formatSeconds(timeoutMs)} (an endless loop, or work that never ends?); it was stopped`,
          hint: `Set ${CONFIG_TIMEOUT_ENV}=30s (or longer) if it really needs more time.`,
        },
      });
    }, timeoutMs);
    channel.on('data', (chunk: Buffer) => {
      let reply: unknown;
      try {
        reply = decoder.push(chunk)[0];
      } catch (err) {
        const tooLarge = (err as { code?: unknown }).code === 'E_FRAME_TOO_LARGE';
        // It may still be writing: stop it rather than leave it to fill a pipe nobody reads.
        if (tooLarge) killGroup(child.pid);
        const what = tooLarge
          ? `exports more than ${REPLY_MAX_BYTES / 1024 / 1024} MiB of data`
          : 'the config loader sent an unreadable reply';
        return finish({ failure: { what: `could not be loaded: ${what}` } });
      }
      if (reply !== undefined) onReply(reply as ConfigCodeReply);
    });
    let ended = false;
    channel.on('end', () => {
      ended = true;
    });
    channel.on('error', () => {
      /* reported through the exit below */
    });
    const noReply = (code: number | null, signal: NodeJS.Signals | null): void => {
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
      finish({ failure: { what: `${how} while loading, before exporting anything (does it call process.exit()?)` } });
    };
    child.on('error', (err) => finish({ failure: { what: `could not be loaded: ${err.message}` } }));
    child.on('exit', (code, signal) => {
      if (done) return;
      if (ended) return noReply(code, signal);
      // The reply may still be in the pipe: give it a moment to arrive.
      channel.once('end', () => noReply(code, signal));
      drainTimer = setTimeout(() => noReply(code, signal), DRAIN_AFTER_EXIT_MS);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
