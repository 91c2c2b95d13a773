import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { CronJob } from 'kubernetes-models/batch/v1';
import { parseAllDocuments, stringify } from 'yaml';
import { KubeLab, labMissing } from '../helpers/kube-lab.js';
import { ROOT, TendHome, waitFor } from '../helpers/tend.js';
import { needs } from '../helpers/needs.js';

// Tasks exported as init containers and a scheduled job exported as a CronJob, played by podman
// offline (podman 4.3: init containers yes, CronJobs no; see KubeLab.playJobPod).
const req = needs(labMissing());
const APPS = join(ROOT, 'test', 'fixtures', 'apps');

/** An ecosystem file: web after migrate (exit 0), web2 after badmigrate (exit 3), and a job. */
function config(dir: string): string {
  const file = join(dir, 'jobs.config.cjs');
  const task = (name: string, code: number) => ({
    name,
    script: 'task.js',
    cwd: APPS,
    task: true,
    env: { TASK_MS: '800', TASK_CODE: String(code) },
  });
  const apps = [
    task('migrate', 0),
    { name: 'web', script: 'forever.js', cwd: APPS, depends_on: { migrate: 'completed' } },
    task('badmigrate', 3),
    { name: 'web2', script: 'forever.js', cwd: APPS, depends_on: { badmigrate: 'completed' } },
    { name: 'report', script: 'task.js', cwd: APPS, schedule: '*/5 * * * *', env: { TASK_MS: '100' } },
  ];
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};\n`);
  return file;
}

interface State {
  Status: string;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
}

describe('tasks as init containers and a job as a CronJob, played by podman', () => {
  let t: TendHome;
  let lab: KubeLab;
  let manifest = '';
  const image = `localhost/tend-jobs-${process.pid}:1`;
  const state = async (name: string): Promise<State> =>
    JSON.parse((await lab.podman('inspect', name, '--format', '{{json .State}}')).stdout) as State;
  /** The container's state once it is `status` (exited, running). */
  const reach = (name: string, status: string, what: string): Promise<State> =>
    waitFor(
      async () => {
        const s = await state(name);
        return s.Status === status ? s : undefined;
      },
      what,
      60_000,
      250,
    );
  req.before(async () => {
    t = new TendHome();
    lab = new KubeLab();
    await lab.image(image, [{ src: APPS, dest: '/app' }]);
    const r = await t.run(['export', 'kubernetes', config(t.home), '--image', image, '--workdir', '/app']);
    assert.equal(r.code, 0, r.stderr);
    manifest = r.stdout;
  });
  req.after(async () => {
    await lab?.cleanup();
    await t?.cleanup();
  });

  req.it('the task runs to completion before the web container starts; a failing task keeps its web container from starting', async () => {
    const docs = parseAllDocuments(manifest).map((d) => d.toJS() as any);
    const web = docs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web');
    assert.deepEqual(
      web.spec.template.spec.initContainers.map((c: { name: string }) => c.name),
      ['migrate'],
    );
    assert.equal(docs.filter((o) => o.kind === 'Job').length, 0, 'a task run as an init container has no Job of its own');
    // The manifest's documents of some apps (by their app label).
    const part = (...apps: string[]): string =>
      docs
        .filter((o) => apps.includes(o.metadata.labels['app.kubernetes.io/name']))
        .map((o) => stringify(o))
        .join('---\n');
    await lab.play(part('web', 'migrate'), {});
    const migrate = await reach('web-pod-0-migrate', 'exited', 'the init container to finish');
    assert.equal(migrate.ExitCode, 0);
    const webState = await reach('web-pod-0-web', 'running', 'web to run');
    assert.ok(
      Date.parse(webState.StartedAt) >= Date.parse(migrate.FinishedAt),
      `web started ${webState.StartedAt}, migrate ended ${migrate.FinishedAt}`,
    );
    assert.match((await lab.podman('logs', 'web-pod-0-migrate')).stdout, /task done, exiting with 0/);

    // podman waits for init containers as the pod comes up, and says when one failed.
    await assert.rejects(lab.play(part('web2', 'badmigrate'), {}), /init container \S+ exited with code 3/);
    const bad = await state('web2-pod-0-badmigrate');
    assert.equal(bad.Status, 'exited');
    assert.equal(bad.ExitCode, 3);
    const web2 = await state('web2-pod-0-web2');
    assert.equal(web2.Status, 'created', 'web2 must not start after its task failed');
    assert.ok(web2.StartedAt.startsWith('0001-01-01'), `web2 never started, got ${web2.StartedAt}`);
  });

  req.it("the CronJob is valid by the Kubernetes schema, and its jobTemplate's pod runs the job to completion", async () => {
    const cron = parseAllDocuments(manifest)
      .map((d) => d.toJS() as any)
      .find((o) => o.kind === 'CronJob' && o.metadata.name === 'report');
    assert.ok(cron, 'a CronJob for report');
    new CronJob(cron).validate();
    assert.equal(cron.spec.schedule, '*/5 * * * *');
    assert.equal(cron.spec.jobTemplate.spec.template.spec.restartPolicy, 'Never');
    await lab.playJobPod(manifest, 'report');
    const done = await reach('report-run-report', 'exited', 'the job pod to finish');
    assert.equal(done.ExitCode, 0);
    const env = (await lab.podman('logs', 'report-run-report')).stdout;
    assert.match(env, /task done, exiting with 0/);
  });
});

if (req.missing !== null) console.log(`# kube-jobs tests skipped: ${req.missing}`);
