import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { needs } from '../helpers/needs.js';
import { ROOT, TendHome } from '../helpers/tend.js';
import { composeParse, composeParserMissing, pyYamlLoad, pyYamlMissing } from '../helpers/yaml-readers.js';

// What is exported must mean exactly what the app had (issue 20.9): hostile names, arguments and
// values are exported, then read back by the real consumers' parsers and compared with the app's.
const DIR = join(ROOT, 'test', 'fixtures', 'export');
const CONFIG = join(DIR, 'hostile.config.cjs');
const require = createRequire(import.meta.url);
const { HOSTILE, HOSTILE_NAMES } = require(join(DIR, 'hostile-values.cjs')) as { HOSTILE: string[]; HOSTILE_NAMES: string[] };
const SECRETS = {
  API_TOKEN: 'p${PATH}w',
  DB_PASSWORD: "it's\\",
  SESSION_SECRET: 'plain$x`y"z',
  REDIS_URL: 'redis://:p$w@db:6379',
};
const PLAIN: Record<string, string> = {
  TEND_APP_NAME: '1api',
  PORT: '3000',
  ...Object.fromEntries(HOSTILE.map((v, i) => [`PLAIN_${i}`, v])),
  ...Object.fromEntries(HOSTILE_NAMES.map((n) => [n, `named ${n}`])),
};
const ARGV = ['node', '/app/apps/http-server.js', ...HOSTILE];

/** The kubelet's expansion of a container's command and args (k8s.io/kubernetes third_party expansion). */
function kubeletExpand(s: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '$' || i + 1 >= s.length) {
      out += s[i];
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const end = s.indexOf(')', i + 2);
      if (end === -1) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      out += env[name] ?? `$(${name})`;
      i = end;
    } else out += '$';
  }
  return out;
}

type Obj = { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string>; spec?: any };

describe('exported hostile values read back exactly (kubelet, YAML 1.2, PyYAML/libyaml, podman-compose)', () => {
  let t: TendHome;
  let out: string;
  before(() => {
    t = new TendHome();
    out = mkdtempSync(join(tmpdir(), 'tend-export-hostile-'));
  });
  after(async () => {
    await t.cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  const py = needs(pyYamlMissing());
  const compose = needs(composeParserMissing() ?? pyYamlMissing());

  const kube = async (): Promise<string> => {
    const r = await t.run(['export', 'kubernetes', CONFIG, '--image', 'registry.example.com/api:1', '--workdir', '/app']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  py.it("kubernetes: every reader gets the same objects, and the pod gets the app's argv and environment", async () => {
    const text = await kube();
    const objects = parseAllDocuments(text).map((d) => {
      assert.deepEqual(d.errors, [], 'the YAML 1.2 parser reads it without error');
      return d.toJS() as Obj;
    });
    assert.deepEqual(pyYamlLoad(text, 'libyaml'), objects, 'libyaml (YAML 1.1) reads the same data');
    assert.deepEqual(pyYamlLoad(text, 'python'), objects, 'pure PyYAML reads the same data');
    const get = (kind: string): Obj => objects.find((o) => o.kind === kind) as Obj;
    // `1api` is no DNS-1035 label: a Service of that name is refused by the API server.
    const svc = get('Service');
    assert.match(svc.metadata.name, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    new Service(svc as never).validate();
    new Deployment(get('Deployment') as never).validate();
    assert.deepEqual(get('ConfigMap').data, PLAIN, 'ConfigMap values are not expanded by the kubelet: equal as written');
    assert.deepEqual(get('Secret').stringData, SECRETS, 'the URL password went to the Secret with the named secrets');
    const c = get('Deployment').spec.template.spec.containers[0] as { command: string[]; args: string[] };
    const podEnv = { HOME: '/root', PATH: '/usr/bin', ...PLAIN, ...SECRETS };
    assert.deepEqual(
      [...c.command, ...c.args].map((s) => kubeletExpand(s, podEnv)),
      ARGV,
    );
  });

  compose.it("compose: podman-compose runs the service with the app's argv and environment; what .env cannot carry is named", async () => {
    const dir = join(out, 'compose');
    const r = await t.run(['export', 'compose', CONFIG, '--image', 'registry.example.com/api:1', '--workdir', '/app', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(join(dir, 'compose.yaml'), 'utf8');
    const [doc] = parseAllDocuments(text);
    assert.deepEqual(doc?.errors, []);
    assert.deepEqual(pyYamlLoad(text, 'libyaml'), [doc?.toJS()], 'PyYAML reads what a YAML 1.2 parser reads');
    // API_TOKEN holds `${`, DB_PASSWORD a quote and a backslash: no .env line is read back as
    // them by every Compose, so they are left to the environment, by name.
    assert.match(r.stderr, /API_TOKEN, DB_PASSWORD hold a quote, a backslash, `\$\{` or a line break/);
    const dotenv = readFileSync(join(dir, '.env'), 'utf8');
    assert.doesNotMatch(dotenv, /API_TOKEN|DB_PASSWORD/);
    const env = { PATH: '/usr/bin:/bin', HOME: '/root', API_TOKEN: SECRETS.API_TOKEN, DB_PASSWORD: SECRETS.DB_PASSWORD };
    const services = composeParse(join(dir, 'compose.yaml'), env);
    const svc = services['app-1api'];
    assert.ok(svc !== undefined, Object.keys(services).join(' '));
    assert.deepEqual(svc.entrypoint, ARGV);
    assert.equal(svc.working_dir, '/app');
    assert.deepEqual(
      svc.environment,
      { ...PLAIN, ...SECRETS },
      "values read back equal the app's: .env, environment and interpolation included",
    );
  });
});
