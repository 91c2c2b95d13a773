/**
 * Flags people type from other tools (forever, nodemon, PM2). Those that cannot be mistaken are
 * aliases of tend's flag (see `OTHER_TOOL_FLAGS` in commands/start.ts); those whose value means
 * something else in tend (nodemon's `--delay` counts seconds) are refused with the tend spelling,
 * so a value is never taken silently in another tool's sense.
 */
export const FLAG_HINTS: Readonly<Record<string, string>> = {
  '-m': "forever's `-m MAX` (runs at most MAX times) is `--max-restarts N` in tend",
  '--max': "forever's `--max` is `--max-restarts N` in tend",
  '--minUptime': "forever's `--minUptime` is `--min-uptime D` in tend",
  '--spinSleepTime': "forever's `--spinSleepTime` is `--restart-delay D` in tend",
  '--killSignal': "forever's `--killSignal` is `--kill-signal SIG` in tend",
  '--delay': "nodemon's `--delay` counts seconds; tend's is `--watch-delay` with a unit (`--watch-delay 2.5s`)",
  '--exec': "nodemon's `--exec`: name the program with `--interpreter P`, or give the whole command after `--`",
  '--signal': "nodemon's `--signal` is `--kill-signal SIG` in tend",
  '--ignore-watch-path': 'use `--ignore-watch P`',
  '--max-memory': "PM2's limit is `--max-memory-restart SIZE` (200M)",
};

/**
 * nodemon's `-e js,json` (extensions) reaches tend's `-e` (PM2's error-log file): a value that is
 * a bare list of extensions is refused rather than taken as a file name.
 */
export function looksLikeExtensionList(value: string): boolean {
  return /^\.?[a-z0-9]{1,5}(,\.?[a-z0-9]{1,5})*$/i.test(value) && !/\.log$/i.test(value);
}
