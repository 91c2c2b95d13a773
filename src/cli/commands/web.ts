import { usageError } from '../../errors.js';
import { WEB_ACTIONS, type WebStatus } from '../../protocol/methods.js';
import { parseFlags, type CliContext, type Command, type Options } from '../context.js';

const WEB_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  json: { type: 'boolean' },
  stop: { type: 'boolean' },
  status: { type: 'boolean' },
} satisfies Options;

export const web: Command = {
  options: WEB_OPTIONS,
  help: `
Synopsis
  tend web [--port 9615] [--host 127.0.0.1] [--json]     serve the dashboard; returns once serving
  tend web --status [--json]                             where it is served, if it is
  tend web --stop                                        stop serving

Options
  --port N      port (default 9615; 0 = any free port)
  --host H      address to bind (default 127.0.0.1); anything but loopback prints a warning
  --json        {"url","port","host","token"} for scripts

Notes
  Served by the daemon itself; it keeps serving across \`tend daemon restart\` (the choice is
  kept in TEND_HOME/web.json). Every request for data needs the token (TEND_HOME/web.token, 0600):
  open the printed URL (the token is in its #fragment, never sent to a server log), or send
  \`Authorization: Bearer <token>\` to the API (GET /api/processes, /api/processes/<app>,
  POST /api/processes/<app|instance id>/${Object.keys(WEB_ACTIONS).join('|')}) and to GET /metrics (Prometheus).

Exit codes
  0 serving (or stopped); 1 cannot listen (port in use…); 2 bad option; 3 daemon unreachable`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, WEB_OPTIONS, 'web');
    if (positionals.length > 0) throw usageError(`unexpected argument \`${positionals[0]}\``, 'Example: tend web --port 9615');
    const client = await ctx.client();
    if (values.stop === true) {
      const r = await client.call('web.stop', {});
      ctx.out(values.json === true ? JSON.stringify(r) : r.stopped ? 'dashboard stopped' : 'the dashboard was not running');
      return 0;
    }
    if (values.status === true) {
      const s = await client.call('web.status', {});
      ctx.out(values.json === true ? JSON.stringify(s) : s === null ? 'the dashboard is not running (start it: tend web)' : describe(s));
      return 0;
    }
    let port: number | undefined;
    if (values.port !== undefined) {
      port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
      if (!(port >= 0 && port <= 65535)) throw usageError(`\`--port ${values.port}\` is not a port number`, 'Example: --port 9615');
    }
    const s = await client.call('web.start', {
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(port === undefined ? {} : { port }),
    });
    if (!s.loopback)
      ctx.err(
        `tend: warning: the dashboard listens on ${s.host}, reachable from other machines; anyone with the token can stop and restart your apps. Prefer an SSH tunnel to 127.0.0.1.`,
      );
    ctx.out(values.json === true ? JSON.stringify({ url: s.url, port: s.port, host: s.host, token: s.token }) : describe(s));
    return 0;
  },
};

function describe(s: WebStatus): string {
  return [
    `dashboard: ${s.url}#token=${s.token}`,
    `token:     ${s.token}`,
    `api:       curl -H 'Authorization: Bearer ${s.token}' ${s.url}api/processes`,
    `metrics:   ${s.url}metrics (same header)`,
  ].join('\n');
}
