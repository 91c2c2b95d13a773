import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { inheritableEnv } from '../config/env.js';
import { isConfigFile } from '../config/config-files.js';
import type { LoadedConfig } from '../config/load.js';
import { usageError } from '../errors.js';
import type { CliContext } from './context.js';

export interface ConfigFlags {
  env?: string[] | undefined;
  only?: string | undefined;
  formation?: string | undefined;
  port?: string | undefined;
}

/** True when the argument names an existing config file (ecosystem.*, tend.config.*, *.json/yaml, Procfile). */
export function isConfigArg(arg: string | undefined, ctx: CliContext): arg is string {
  return arg !== undefined && isConfigFile(arg) && existsSync(resolve(ctx.cwd, arg));
}

/**
 * Loads a config file's apps. `--env production` (a word without `=`) picks `env_production`
 * blocks, as in PM2; `--env K=V` stays a variable and is not allowed with a config file.
 */
export async function loadApps(file: string, flags: ConfigFlags, ctx: CliContext): Promise<LoadedConfig> {
  const envNames = (flags.env ?? []).filter((e) => !e.includes('='));
  if (envNames.length > 1) throw usageError(`several environments given (${envNames.join(', ')})`, 'Pick one: --env production');
  if ((flags.env ?? []).some((e) => e.includes('='))) {
    throw usageError(
      '`--env NAME=value` does not apply to a config file',
      "Set variables in the file's `env` block, or pick a block with --env production.",
    );
  }
  const basePort = flags.port === undefined ? undefined : Number(flags.port);
  if (basePort !== undefined && (!Number.isInteger(basePort) || basePort <= 0 || basePort > 65535)) {
    throw usageError(`\`--port ${flags.port}\` is not a port number`, 'Example: --port 5000');
  }
  // The loader (schema, parsers, ~100 kB bundled) is its own bundle, required only here: a
  // `tend restart api` does not parse it.
  const { loadConfigFile } = await import('../config/load.js');
  const loaded = await loadConfigFile(resolve(ctx.cwd, file), {
    cwd: ctx.cwd,
    env: inheritableEnv(ctx.env),
    envName: envNames[0],
    only: flags.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    formation: flags.formation,
    basePort,
  });
  for (const w of loaded.warnings) ctx.err(`tend: warning: ${w}`);
  return loaded;
}
