/** The file `tend init` writes: CommonJS, so PM2 (and any `"type": "module"` project) loads it too. */
export const INIT_FILE_NAME = 'ecosystem.config.cjs';

export interface InitTemplateOptions {
  /** App name (default `app`). */
  name?: string | undefined;
  /** Script to run, relative to the config's folder (default `server.js`). */
  script?: string | undefined;
}

/**
 * The commented example config `tend init` writes. Every active key means the same in PM2, so
 * the file stays a valid PM2 ecosystem file; tend-only keys are shown commented out.
 * Number-typed PM2 keys are written as numbers (PM2 rejects `'5s'` there; tend takes both).
 */
export function renderInitTemplate(options: InitTemplateOptions = {}): string {
  const name = jsString(options.name ?? 'app');
  const script = jsString(options.script ?? 'server.js');
  return `// Apps for tend (and PM2: this file works with both).
//   tend start ${INIT_FILE_NAME}                    start (or update) every app
//   tend start ${INIT_FILE_NAME} --only ${name.slice(1, -1)}        just one app
//   tend start ${INIT_FILE_NAME} --env production   use env_production
// Every key, its type and default: \`tend help config\`.
// Durations are milliseconds (1500) or strings with a unit ('5s', '2m'); sizes are '512K', '200M'.
// Relative paths are resolved from this file's folder.
module.exports = {
  apps: [
    {
      name: ${name}, // unique; the name you type: tend restart ${name.slice(1, -1)}
      script: ${script}, // a file to run, or a command in PATH (e.g. 'npm' with args: 'start')
      // args: ['--port', '3000'], // arguments for the script (a list, or one string)
      // interpreter: 'node', // guessed from the extension; 'none' runs the script itself
      // node_args: ['--enable-source-maps'], // arguments for the interpreter
      // cwd: './api', // working directory (default: this file's folder)

      // The app inherits the environment of the shell that runs \`tend start\`, plus:
      env: {
        NODE_ENV: 'development',
      },
      env_production: { // layered over env by --env production
        NODE_ENV: 'production',
      },
      // env_file: '.env', // tend only: KEY=VALUE lines, relative to cwd; env wins over it

      // Restarts: a crashed app comes back; a crash loop backs off, then stops.
      autorestart: true,
      exp_backoff_restart_delay: 100, // 100 ms, doubling per crash up to 15 s
      max_restarts: 16, // crashes in a row, each up less than min_uptime, before giving up
      min_uptime: '1s',
      // restart_delay: 0, // a fixed wait before every restart instead
      // stop_exit_codes: [0], // exit codes that mean "finished": no restart

      // Stopping and readiness
      kill_timeout: 5000, // ms between the stop signal and SIGKILL
      // kill_signal: 'SIGTERM', // tend only: the stop signal (default SIGINT, as PM2)
      // wait_ready: true, // online only once the app calls process.send('ready')…
      // listen_timeout: 3000, // …or after this many ms

      // Logs: TEND_HOME/logs/<name>-out.log and <name>-error.log unless set here.
      // out_file: './logs/out.log',
      // error_file: './logs/err.log',
      // log_file: './logs/combined.log', // stdout and stderr together, in addition
      time: false, // true: prefix each line with the time it was written
    },
  ],
};
`;
}

// A single-quoted JS string literal, the quote style of the rest of the template.
function jsString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
