import { resolve } from 'node:path';
import { inheritableEnv } from '../config/env.js';
import { loadConfigFile } from '../config/load.js';
import { TendError, usageError } from '../errors.js';
import { containerApp, type ContainerApp } from '../exporters/kubernetes/container-app.js';
import { dotenvFile, toCompose } from '../exporters/kubernetes/compose.js';
import { toKubernetes } from '../exporters/kubernetes/kubernetes.js';
import { toYaml as yaml } from '../exporters/kubernetes/yaml-text.js';
import { ensureDir } from '../lib/ensure-dir.js';
import type { AppSpec } from '../protocol/app-spec.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { isConfigArg } from './config-apps.js';
import { parseFlags, type Options, type CliContext } from './context.js';

export const CONTAINER_HELP = `
  tend export kubernetes [config file | name|id|all ...] [--image IMG] [--namespace NS] [--workdir DIR] [--out DIR]
  tend export compose    [config file | name|id|all ...] [--image IMG] [--workdir DIR] [--out DIR]

Options (kubernetes, compose)
  --image IMG      image for apps without an \`image\` key; it must hold the app at its cwd (see --workdir)
  --workdir DIR    where the app's folder is inside the image (default: the same path as on this machine)
  --namespace NS   metadata.namespace of every object (kubernetes)
  --out DIR        write <app>.yaml per app (kubernetes) or compose.yaml + .env (compose) instead of stdout
  --env NAME       with a config file: use its env_NAME blocks;  --only a,b: only these apps

Notes (kubernetes, compose)
  From a config file, only what the file sets is exported (the image has its own PATH, HOME, …);
  from running apps, variables equal to this shell's are left out. Per app: a Deployment (a Job
  for autorestart: false) running the same command (programs by name from the image's PATH),
  replicas = instances (one process per pod), non-secret env in a ConfigMap and secret-looking
  env (the redaction rule) in a Secret, a Service and a TCP readiness probe for an app with a
  port (PORT), probes from \`health\`, limits.memory = max_memory_restart,
  terminationGracePeriodSeconds = kill_timeout, another kill_signal sent by a preStop hook.
  Compose: the same as services; secrets as \${NAME} read from the environment or the .env file.
  Settings with no meaning there (cron_restart, watch, log files, restart tuning) are listed in a
  warning on stderr.`;

async function fromFile(
  file: string,
  values: { env?: string[] | undefined; only?: string | undefined },
  ctx: CliContext,
): Promise<{ specs: AppSpec[]; inherited: Record<string, string> }> {
  const envNames = (values.env ?? []).filter((e) => !e.includes('='));
  if (envNames.length !== (values.env ?? []).length || envNames.length > 1)
    throw usageError('--env takes one environment name with a config file', 'Example: --env production');
  // Only PATH is passed in (to find commands and interpreters): the rest comes from the file.
  const inherited: Record<string, string> = ctx.env.PATH === undefined ? {} : { PATH: ctx.env.PATH };
  const loaded = await loadConfigFile(resolve(ctx.cwd, file), {
    cwd: ctx.cwd,
    env: inherited,
    envName: envNames[0],
    only: values.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  });
  for (const w of loaded.warnings) ctx.err(`tend: warning: ${w}`);
  // An app the file cannot describe is not exported in silence: the manifest would lack it.
  const [bad] = loaded.failed;
  if (bad !== undefined)
    throw new TendError('E_CONFIG_INVALID', `${bad.name} cannot be exported: ${bad.message}`, {
      hint: 'Fix the app in the config file, or leave it out with --only.',
    });
  return { specs: loaded.apps, inherited };
}

async function fromDaemon(targets: string[], ctx: CliContext): Promise<AppSpec[]> {
  const client = await ctx.client();
  const specs = new Map<string, AppSpec>();
  for (const target of targets.length > 0 ? targets : ['all']) {
    for (const d of await client.call('process.describe', { target, showSecrets: true }))
      if (d.spec.runOf === undefined) specs.set(d.spec.name, d.spec);
  }
  if (specs.size === 0)
    throw new TendError('E_APP_NOT_FOUND', 'no apps to export', {
      hint: 'Name a config file (tend export kubernetes ecosystem.config.js), or start the apps first.',
    });
  return [...specs.values()];
}

/** The flags of `tend export kubernetes|compose`. */
export const CONTAINER_OPTIONS = {
  image: { type: 'string' },
  namespace: { type: 'string' },
  workdir: { type: 'string' },
  out: { type: 'string' },
  env: { type: 'string', multiple: true },
  only: { type: 'string' },
} satisfies Options;

/** `tend export kubernetes|compose …`. */
export async function exportContainers(format: 'kubernetes' | 'compose', argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(argv, CONTAINER_OPTIONS, 'export');
  if (format === 'compose' && values.namespace !== undefined)
    throw usageError('--namespace applies to `tend export kubernetes`', 'Compose has no namespaces; drop --namespace.');
  if (values.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(values.namespace))
    throw usageError(
      `\`--namespace ${values.namespace}\` is not a valid Kubernetes namespace`,
      'Use lower-case letters, digits and -, e.g. --namespace shop',
    );
  if (values.workdir !== undefined && !values.workdir.startsWith('/'))
    throw usageError('--workdir must be an absolute path inside the image', 'Example: --workdir /app');
  const [first, ...rest] = positionals;
  const isFile = isConfigArg(first, ctx);
  if (isFile && rest.length > 0)
    throw usageError('give one config file, or app names, not both', `Example: tend export ${format} ecosystem.config.js --image my-app:1`);
  if (!isFile && (values.env !== undefined || values.only !== undefined))
    throw usageError('--env and --only apply to a config file', `Example: tend export ${format} ecosystem.config.js --only web`);
  const source = isFile
    ? await fromFile(first, values, ctx)
    : { specs: await fromDaemon(positionals, ctx), inherited: inheritableEnv(ctx.env) };
  const apps: ContainerApp[] = [];
  for (const spec of source.specs) {
    const app = containerApp(spec, { image: values.image ?? null, workdir: values.workdir ?? null }, source.inherited);
    if ('error' in app)
      throw usageError(app.error, `Example: tend export ${format} ${isFile ? first : 'all'} --image registry.example.com/shop:1.4`);
    apps.push(app);
  }
  const names = new Map<string, string>();
  for (const a of apps) {
    const other = names.get(a.name);
    if (other !== undefined)
      throw usageError(
        `apps ${other} and ${a.app} both become \`${a.name}\` as Kubernetes/Compose names`,
        'Rename one of them (names are lower-cased, other characters become -).',
      );
    names.set(a.name, a.app);
  }
  const outDir = values.out === undefined ? null : resolve(ctx.cwd, values.out);
  if (outDir !== null) ensureDir(outDir, 0o755);
  if (format === 'kubernetes') {
    const k = toKubernetes(apps, values.namespace ?? null);
    for (const w of k.warnings) ctx.err(`tend: warning: ${w}`);
    if (outDir === null) ctx.out(k.objects.map(yaml).join('---\n'));
    else {
      for (const a of apps) {
        const mine = k.objects.filter((o) => (o.metadata.labels as Record<string, string>)['app.kubernetes.io/name'] === a.name);
        const file = resolve(outDir, `${a.name}.yaml`);
        writeFileAtomic(file, mine.map(yaml).join('---\n'), mine.some((o) => o.kind === 'Secret') ? 0o600 : 0o644);
        ctx.out(`wrote ${file} (${mine.map((o) => o.kind).join(', ')})`);
      }
    }
    return 0;
  }
  const c = toCompose(apps);
  for (const w of c.warnings) ctx.err(`tend: warning: ${w}`);
  const secrets = Object.keys(c.dotenv);
  if (outDir === null) {
    ctx.out(yaml(c.file));
    if (secrets.length > 0)
      ctx.err(
        `tend: warning: secret-looking variables ${secrets.join(', ')} are \${NAME} references: set them in the environment or in a .env file beside the compose file (--out writes one)`,
      );
  } else {
    const file = resolve(outDir, 'compose.yaml');
    writeFileAtomic(file, yaml(c.file), 0o644);
    ctx.out(`wrote ${file}`);
    const dotenv = dotenvFile(c.dotenv);
    if (dotenv.text !== '') {
      const envFile = resolve(outDir, '.env');
      writeFileAtomic(envFile, dotenv.text, 0o600);
      ctx.out(`wrote ${envFile} (0600, secrets)`);
    }
    if (dotenv.unwritable.length > 0) {
      ctx.err(
        `tend: warning: ${dotenv.unwritable.join(', ')} hold a quote, a backslash, \`\${\` or a line break, which no .env line carries exactly for every Compose: left out of .env; set them in the environment when you run compose`,
      );
    }
  }
  return 0;
}
