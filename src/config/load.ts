import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { TendError, isTendError } from '../errors.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { coerceField } from './coerce.js';
import { checkDependencies, startOrder } from './depends-graph.js';
import { parseDotenv } from './dotenv.js';
import { appLabel, appsFromConfig, isPlainObject, type RawApps } from './ecosystem.js';
import { defaultAppName, normalizeApp } from './normalize.js';
import { findField, type FieldDef } from './schema.js';
import { FOREMAN_BASE_PORT, parseProcfile, procfileApps, procfileType } from './procfile.js';
import { configError, configFormat, readConfigText, readConfigValue } from './read-config.js';

export interface LoadOptions {
  /** `--env <name>`: layer each app's `env_<name>` over its `env`. */
  envName?: string | undefined;
  /** `--only a,b`: the apps to keep (for a Procfile, a type name keeps all its instances). */
  only?: readonly string[] | undefined;
  /** Where the CLI runs: resolves a relative config path and shortens names in messages. */
  cwd: string;
  /** The environment apps inherit: the CLI's, already passed through `inheritableEnv`. */
  env: Record<string, string>;
  /** Procfile only: foreman's `--formation web=2,worker=1` (`all=N` for every type). */
  formation?: string | undefined;
  /** Procfile only: foreman's `--port`; default `PORT` from `.env` or the environment, else 5000. */
  basePort?: number | undefined;
}

export interface LoadedConfig {
  /** Validated apps, in file order. */
  apps: AppSpec[];
  /** Keys accepted but not acted on, ignored lines: print them, they are not errors. */
  warnings: string[];
  /** Absolute path of the config file. */
  file: string;
  /**
   * Apps that cannot start on this machine (script or interpreter missing): as in PM2, the other
   * apps still start, and the command exits 1 naming these.
   */
  failed: { name: string; message: string }[];
}

/** Errors that concern one app's machine-side needs, not the file: that app fails alone. */
const PER_APP_ERRORS = new Set(['E_SCRIPT_NOT_FOUND', 'E_INTERPRETER_NOT_FOUND', 'E_SCRIPT_IS_DIRECTORY']);

// Which paths are config files: a light module the CLI loads without this one.
export { DEFAULT_CONFIG_NAMES, findDefaultConfig, isConfigFile } from './config-files.js';

/**
 * Loads an ecosystem file (`.js/.cjs/.mjs/.json/.yaml/.yml`), a `tend.config.*` or a Procfile
 * into validated AppSpecs. Relative `cwd` and script paths resolve from the file's folder, as in
 * PM2. Throws TendError (E_CONFIG_INVALID, E_USAGE for flags, E_SCRIPT_NOT_FOUND, …) whose
 * message starts with the file and the app.
 */
export async function loadConfigFile(path: string, options: LoadOptions): Promise<LoadedConfig> {
  const file = resolve(options.cwd, path);
  const shown = displayPath(file, options.cwd);
  const format = configFormat(file);
  if (format === undefined) {
    throw configError(
      shown,
      'is not a config file',
      'Config files are `*.config.js/.cjs/.mjs`, `.json`, `.yaml`/`.yml` or `Procfile`; anything else is started as a script.',
    );
  }
  if (format !== 'procfile' && (options.formation !== undefined || options.basePort !== undefined)) {
    throw new TendError('E_USAGE', `--formation and --port apply to a Procfile, not to ${shown}`);
  }
  const {
    apps: rawApps,
    warnings,
    deploy,
  } = format === 'procfile' ? await readProcfile(file, shown, options) : await readEcosystem(file, shown, format);
  // tend.config.* files and Procfiles follow tend's rules; every other file is a PM2 file.
  const pm2 = format !== 'procfile' && !basename(file).startsWith('tend.config.');
  const deployEnv = options.envName === undefined ? undefined : deployEnvOf(deploy, options.envName, shown);
  const picked = pickOnly(rawApps, options.only, shown, format === 'procfile');
  if (options.envName !== undefined && !rawApps.some((a) => Object.hasOwn(a, `env_${options.envName}`))) {
    warnings.push(`${shown}: no app has an \`env_${options.envName}\` block; --env ${options.envName} changes nothing`);
  }
  const apps: AppSpec[] = [];
  const failed: LoadedConfig['failed'] = [];
  const seen = new Map<string, string>();
  for (const { raw, index } of picked) {
    const source = `${shown}, ${appLabel(raw, index)}`;
    let result;
    try {
      result = normalizeApp(raw, {
        baseDir: dirname(file),
        shellCwd: pm2 ? options.cwd : undefined,
        env: options.env,
        source,
        envName: options.envName,
        deployEnv,
        file,
        pm2,
      });
    } catch (err) {
      if (!isTendError(err) || !PER_APP_ERRORS.has(err.code)) throw err;
      failed.push({ name: rawName(raw) ?? `apps[${index}]`, message: `${err.message}${err.hint ? ` — ${err.hint}` : ''}` });
      continue;
    }
    const first = seen.get(result.spec.name);
    if (first !== undefined) {
      throw new TendError('E_CONFIG_INVALID', `${source}: the name \`${result.spec.name}\` is already used by ${first}`, {
        hint: 'App names are unique; give one of them a different `name`.',
        details: { file, name: result.spec.name },
      });
    }
    seen.set(result.spec.name, `apps[${index}]`);
    apps.push(result.spec);
    warnings.push(...result.warnings);
  }
  checkDependencies(apps, new Set(rawApps.map((raw) => rawName(raw)).filter((n): n is string => n !== undefined)), shown);
  return { apps: startOrder(apps), warnings, file, failed };
}

async function readEcosystem(file: string, shown: string, format: 'js' | 'json' | 'yaml'): Promise<RawApps> {
  const value = await readConfigValue(file, format, shown);
  return appsFromConfig(value, shown);
}

/** `deploy.<name>.env`: PM2 layers it under `env` when `--env <name>` is given. */
function deployEnvOf(deploy: unknown, envName: string, shown: string): Record<string, string> | undefined {
  if (!isPlainObject(deploy)) return undefined;
  const target = deploy[envName];
  if (!isPlainObject(target) || target.env === undefined) return undefined;
  const field = findField('env') as FieldDef;
  try {
    return coerceField(field, target.env, `deploy.${envName}.env`) as Record<string, string>;
  } catch (err) {
    if (isTendError(err)) throw new TendError(err.code, `${shown}: ${err.message}`, { hint: err.hint });
    throw err;
  }
}

// foreman reads the `.env` beside the Procfile; its PORT (or the environment's) is the base port.
async function readProcfile(file: string, shown: string, options: LoadOptions): Promise<RawApps> {
  const text = await readConfigText(file, shown);
  const { entries, warnings } = parseProcfile(text, shown);
  const dotenvPath = join(dirname(file), '.env');
  // Read once for every process, so its warnings are reported once.
  const dotenv = existsSync(dotenvPath) ? parseDotenv(await readConfigText(dotenvPath), displayPath(dotenvPath, options.cwd)) : undefined;
  if (dotenv !== undefined) warnings.push(...dotenv.warnings);
  const basePort = options.basePort ?? toPort(dotenv?.env.PORT) ?? toPort(options.env.PORT) ?? FOREMAN_BASE_PORT;
  const apps = procfileApps(entries, { formation: options.formation, basePort, dotenv: dotenv?.env });
  if (apps.length === 0) throw new TendError('E_USAGE', `--formation ${options.formation ?? ''} starts no process from ${shown}`);
  return { apps, warnings };
}

/** `--only`: keeps the named apps; a name the file does not have is an error listing those it has. */
function pickOnly(
  apps: Record<string, unknown>[],
  only: readonly string[] | undefined,
  shown: string,
  isProcfile: boolean,
): { raw: Record<string, unknown>; index: number }[] {
  const all = apps.map((raw, index) => ({ raw, index, name: rawName(raw) }));
  const wanted = (only ?? []).map((n) => n.trim()).filter(Boolean);
  if (wanted.length === 0) return all;
  const matches = (name: string | undefined, w: string): boolean =>
    name === w || (isProcfile && name !== undefined && procfileType(name) === w);
  const missing = wanted.filter((w) => !all.some((a) => matches(a.name, w)));
  if (missing.length > 0) {
    const names = all.map((a) => a.name ?? `apps[${a.index}]`);
    throw new TendError(
      'E_USAGE',
      `--only: ${shown} has no app named ${missing.map((m) => `\`${m}\``).join(', ')}; its apps are: ${names.join(', ')}`,
      {
        details: { missing, available: names },
      },
    );
  }
  return all.filter((a) => wanted.some((w) => matches(a.name, w)));
}

// The name an app will get, before validation (so --only does not validate apps it skips).
function rawName(raw: Record<string, unknown>): string | undefined {
  if (typeof raw.name === 'string' && raw.name !== '') return raw.name;
  const script = raw.script ?? raw.exec;
  return typeof script === 'string' && script !== '' ? defaultAppName(script) : undefined;
}

function toPort(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

// Messages read better with the path as the user typed it (relative to where they are).
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
