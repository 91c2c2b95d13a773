import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The readers of exported files other than the `yaml` package: PyYAML (libyaml's C loader and the
 * pure-Python one, YAML 1.1) and podman-compose's own parsing of a compose file and its `.env`
 * (yaml.safe_load, python-dotenv, its `$` interpolation), run from podman-compose's installed
 * module without podman: nothing is created.
 */

function onPath(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) if (d !== '' && existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}

/** The Python that runs podman-compose (its shebang), else python3. */
function python(): string | null {
  const pc = onPath('podman-compose');
  if (pc !== null) {
    const m = /^#!\s*(\S+)/.exec(readFileSync(pc, 'utf8').split('\n', 1)[0] ?? '');
    if (m?.[1] !== undefined && existsSync(m[1])) return m[1];
  }
  return onPath('python3');
}

function runPython(code: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const py = python();
  if (py === null) throw new Error('python3 is not installed');
  return execFileSync(py, ['-c', code, ...args], { encoding: 'utf8', input, env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 });
}

/** Why PyYAML cannot be used here, or null. */
export function pyYamlMissing(): string | null {
  try {
    runPython('import yaml; yaml.CSafeLoader', []);
    return null;
  } catch (err) {
    return `PyYAML with libyaml is not importable (${(err as Error).message.split('\n')[0]}); install python3-yaml`;
  }
}

/** Why podman-compose's parser cannot be used here, or null. */
export function composeParserMissing(): string | null {
  if (onPath('podman-compose') === null) return 'podman-compose is not installed (scripts/test.sh installs it as root)';
  try {
    runPython('import podman_compose', []);
    return null;
  } catch (err) {
    return `podman_compose is not importable (${(err as Error).message.split('\n')[0]})`;
  }
}

const LOAD = `
import sys, json, yaml
loader = yaml.CSafeLoader if sys.argv[1] == 'libyaml' else yaml.SafeLoader
docs = [d for d in yaml.load_all(sys.stdin.read(), Loader=loader) if d is not None]
sys.stdout.write(json.dumps(docs, ensure_ascii=True))
`;

/** Every document of `text` as PyYAML reads it (`libyaml`: the C loader; `python`: the pure one). */
export function pyYamlLoad(text: string, loader: 'libyaml' | 'python'): unknown[] {
  return JSON.parse(runPython(LOAD, [loader], text)) as unknown[];
}

const COMPOSE = `
import sys, json
sys.argv = ['podman-compose', '-f', sys.argv[1], '-p', 'tendread', 'ps']
import podman_compose
pc = podman_compose.podman_compose
pc._parse_args()
pc._parse_compose_file()
out = {c['_service']: {k: v for k, v in c.items() if not k.startswith('_')} for c in pc.containers}
sys.stdout.write(json.dumps(out, ensure_ascii=True))
`;

/** A service as podman-compose would run it. */
export interface ComposeService {
  image: string;
  entrypoint?: string[];
  working_dir?: string;
  environment?: Record<string, string>;
}

/** Each service of a compose file (and its `.env`) as podman-compose would run it, by service name. */
export function composeParse(file: string, env: NodeJS.ProcessEnv): Record<string, ComposeService> {
  return JSON.parse(runPython(COMPOSE, [file], undefined, env)) as Record<string, ComposeService>;
}
