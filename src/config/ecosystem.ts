import { configError } from './read-config.js';

export interface RawApps {
  /** One raw object per app, keyed by PM2 names, not validated yet. */
  apps: Record<string, unknown>[];
  warnings: string[];
  /** The file's `deploy` section (its `<env>.env` blocks are layered with `--env`). */
  deploy?: unknown;
}

/**
 * PM2 accepts several shapes, and so does tend: `{apps: [...]}`, `{apps: {...}}` (one app), the
 * old `{pm2: [...]}`, a bare array of apps, or a single app object (`{script: ...}`). Anything
 * else is an error that names the file and says what was found.
 */
export function appsFromConfig(value: unknown, file: string): RawApps {
  const warnings: string[] = [];
  if (value === undefined || value === null || (isPlainObject(value) && Object.keys(value).length === 0)) {
    throw configError(
      file,
      'exports nothing',
      'A config exports `{ apps: [{ name, script, … }] }` (CommonJS `module.exports = …`, ESM `export default …`, JSON or YAML).',
    );
  }
  let list: unknown;
  let deploy: unknown;
  if (Array.isArray(value)) {
    list = value;
  } else if (isPlainObject(value)) {
    const listKey = 'apps' in value ? 'apps' : 'pm2' in value ? 'pm2' : undefined;
    if (listKey === undefined && 'static' in value) {
      throw configError(
        file,
        "has only a `static` section (PM2's built-in static file server), which tend does not have",
        'Run a static server as an app instead: `{ apps: [{ name: "static", script: "python3", args: "-m http.server 8080" }] }`.',
      );
    }
    if (listKey === undefined) {
      if (!('script' in value)) {
        throw configError(
          file,
          `has no \`apps\` list (its keys: ${Object.keys(value)
            .map((k) => `\`${k}\``)
            .join(', ')})`,
          'Put the apps in a list: `{ apps: [{ name: "api", script: "server.js" }] }`.',
        );
      }
      list = [value];
    } else {
      list = value[listKey];
      deploy = value.deploy;
      for (const key of Object.keys(value)) {
        // `pm2 deploy`'s section is read only for its `<env>.env` blocks; `pm2 start` ignores the rest too.
        if (key === listKey || key === 'deploy') continue;
        const why =
          key === 'static'
            ? "PM2's built-in static file server is not part of tend"
            : 'not an ecosystem key (only `apps` and `deploy` are)';
        warnings.push(`${file}: top-level \`${key}\` is ignored: ${why}`);
      }
      if (isPlainObject(list)) list = [list];
    }
  } else {
    throw configError(file, `is not an object: it gives ${describeType(value)}`, 'A config gives `{ apps: [{ name, script, … }] }`.');
  }
  if (!Array.isArray(list)) {
    throw configError(
      file,
      `has \`apps\` that is ${describeType(list)}, not a list of apps`,
      'Write `apps: [{ name: "api", script: "server.js" }]`.',
    );
  }
  if (list.length === 0)
    throw configError(file, 'has an empty `apps` list', 'Add at least one app: `{ name: "api", script: "server.js" }`.');
  const apps = list.map((app, i) => {
    if (!isPlainObject(app)) {
      throw configError(file, `has apps[${i}] that is ${describeType(app)}, not an object like { name, script }`);
    }
    return app;
  });
  return { apps, warnings, deploy };
}

/** How an app is named in messages before it is validated: `app "api"` or `apps[2]`. */
export function appLabel(app: Record<string, unknown>, index: number): string {
  return typeof app.name === 'string' && app.name !== '' ? `app "${app.name}"` : `apps[${index}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `the string \`${value.length > 30 ? `${value.slice(0, 30)}…` : value}\``;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} \`${String(value)}\``;
}
