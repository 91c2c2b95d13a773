/** Every verb of the CLI, its one-line summary and its lazily loaded module: the one list that
 * `--help`, the man pages and shell completion are made from. */
import type { Command } from './context.js';

/** Verb → lazily imported module, so `tend list` loads only what listing needs. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: "start a script, a command, a config file's apps, or a stopped app",
    load: async () => (await import('./commands/start.js')).start,
  },
  apply: {
    summary: "make a config file's apps run as it says, restarting only what changed",
    load: async () => (await import('./commands/apply.js')).apply,
  },
  stop: { summary: 'stop apps (signal, grace period, SIGKILL)', load: async () => (await import('./commands/target-action.js')).stop },
  restart: { summary: 'restart apps (stop, then start)', load: async () => (await import('./commands/target-action.js')).restart },
  reload: {
    summary: "replace apps' processes without dropping a request (cluster, --listen); <file>: deploy",
    load: async () => (await import('./commands/reload.js')).reload,
  },
  scale: { summary: 'set how many instances of an app run, live', load: async () => (await import('./commands/scale.js')).scale },
  delete: { summary: 'stop apps and forget them', load: async () => (await import('./commands/target-action.js')).remove },
  list: { summary: 'list apps (--json for scripts)', load: async () => (await import('./commands/list.js')).list },
  describe: { summary: 'everything about one app', load: async () => (await import('./commands/describe.js')).describe },
  env: { summary: 'the environment an app runs with', load: async () => (await import('./commands/env.js')).env },
  reset: { summary: 'set restart counters back to zero', load: async () => (await import('./commands/reset.js')).reset },
  logs: { summary: 'show and follow app logs', load: async () => (await import('./commands/logs.js')).logs },
  trigger: {
    summary: 'run a scheduled job now (its overlap policy applies)',
    load: async () => (await import('./commands/trigger.js')).trigger,
  },
  ports: {
    summary: 'the TCP and UDP ports every app listens on (whole process trees)',
    load: async () => (await import('./commands/ports.js')).ports,
  },
  events: {
    summary: 'print every change of app state as it happens (--json)',
    load: async () => (await import('./commands/events.js')).events,
  },
  monit: {
    summary: 'full-screen terminal dashboard: CPU, memory, sparklines, logs, keys',
    load: async () => (await import('./commands/monit.js')).monit,
  },
  web: {
    summary: 'serve the web dashboard, JSON API and Prometheus /metrics (port 9615)',
    load: async () => (await import('./commands/web.js')).web,
  },
  init: { summary: 'write a commented example ecosystem.config.cjs', load: async () => (await import('./commands/init.js')).init },
  flush: { summary: 'empty log files safely', load: async () => (await import('./commands/flush.js')).flush },
  signal: { summary: 'send a signal to apps', load: async () => (await import('./commands/signal.js')).signal },
  send: { summary: "write a line to an app's stdin", load: async () => (await import('./commands/send.js')).send },
  attach: {
    summary: 'connect this terminal to an app started with --pty',
    load: async () => (await import('./commands/attach.js')).attach,
  },
  run: {
    summary: 'run apps in the foreground, no daemon (dev, containers: PID 1)',
    load: async () => (await import('./commands/run.js')).run,
  },
  ping: { summary: 'start the daemon if needed and show it', load: async () => (await import('./commands/ping.js')).ping },
  kill: { summary: 'stop every app and the daemon', load: async () => (await import('./commands/kill.js')).kill },
  save: { summary: 'save the running set for resurrect and boot', load: async () => (await import('./commands/save.js')).save },
  resurrect: { summary: 'start the saved set again', load: async () => (await import('./commands/resurrect.js')).resurrect },
  startup: {
    summary: 'start tend and the saved apps at boot (systemd)',
    load: async () => (await import('./commands/startup.js')).startup,
  },
  unstartup: { summary: 'remove the boot unit', load: async () => (await import('./commands/unstartup.js')).unstartup },
  export: {
    summary: 'export apps as systemd units, Kubernetes objects or a Compose file',
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  completion: {
    summary: 'print a shell completion script (bash, zsh, fish)',
    load: async () => (await import('./commands/completion.js')).completion,
  },
  daemon: {
    summary: 'daemon restart|stop|status|run (restart leaves apps running)',
    load: async () => (await import('./commands/daemon.js')).daemon,
  },
};
export const ALIASES: Record<string, string> = {
  ls: 'list',
  del: 'delete',
  rm: 'delete',
  show: 'describe',
  info: 'describe',
  desc: 'describe',
  status: 'list',
  l: 'list',
  ps: 'list',
  // PM2 verbs with another name in tend.
  dump: 'save',
  sendSignal: 'signal',
  ecosystem: 'init',
  // PM2's deploy verbs: start the file's missing apps and restart the running ones (`start <file>`).
  startOrRestart: 'start',
  // `reload <file>`: start what is not running, reload the rest with the file's spec.
  startOrReload: 'reload',
  startOrGracefulReload: 'reload',
  gracefulReload: 'reload',
};

export const REWRITES: Record<string, string[]> = {
  jlist: ['list', '--json'],
  prettylist: ['list', '--json', '--pretty'],
  // PM2's `update` reloads its daemon in place: tend's daemon restart keeps every app running.
  update: ['daemon', 'restart'],
  // forever's verbs.
  stopall: ['stop', 'all'],
  restartall: ['restart', 'all'],
  cleanlogs: ['flush'],
};
