import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * Runs exported manifests for real with podman, offline: `podman kube play` for Kubernetes YAML
 * and podman-compose for Compose files. Images are made from this machine's files (the Node
 * binary, its libraries, /bin/sh and the app's folder), since no registry is reachable. Every pod,
 * container, network, secret and image a lab makes is removed by name in `cleanup()`.
 *
 * Settings this machine needs: the runc runtime and explicit ulimits (in a containers.conf of the
 * lab's own, passed by CONTAINERS_CONF; the machine's /etc is never changed) and slirp4netns for
 * kube play's pod network. Published ports are bound to 127.0.0.1 only.
 */

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** Why the lab cannot run here (a tool is missing, or not root), or null. scripts/test.sh installs the tools. */
export function labMissing(): string | null {
  const missing = ['podman', 'runc', 'slirp4netns'].filter((c) => !onPath(c));
  if (missing.length > 0) return `not installed: ${missing.join(', ')} (scripts/test.sh installs them as root)`;
  if (process.getuid?.() !== 0) return 'podman kube play here needs root';
  return null;
}

export function composeMissing(): string | null {
  return onPath('podman-compose') ? null : 'podman-compose is not installed (scripts/test.sh installs it as root)';
}

/** The shared libraries a program loads, from ldd's output. */
function librariesOf(program: string): string[] {
  const out = execFileSync('ldd', [program], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+)/g)].map((m) => m[1] as string);
}

export class KubeLab {
  readonly dir = mkdtempSync('/tmp/tend-kube-lab-');
  readonly env: NodeJS.ProcessEnv;
  private images = new Set<string>();
  private secrets = new Set<string>();
  private played: string[] = [];
  private composed: Array<{ dir: string; project: string }> = [];

  constructor() {
    const conf = join(this.dir, 'containers.conf');
    writeFileSync(
      conf,
      ['[containers]', 'default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]', '[engine]', 'runtime = "runc"', ''].join('\n'),
    );
    this.env = { ...process.env, CONTAINERS_CONF: conf };
  }

  run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        { env: this.env, cwd: opts.cwd ?? this.dir, timeout: opts.timeoutMs ?? 180_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async podman(...args: string[]): Promise<Run> {
    return this.run('podman', args);
  }

  private async must(r: Promise<Run>, what: string): Promise<string> {
    const done = await r;
    if (done.code !== 0) throw new Error(`${what} failed (${done.code}): ${done.stderr.trim().slice(-2000)}`);
    return done.stdout;
  }

  /** Builds image `name` holding node (as /usr/local/bin/node), /bin/sh and each folder at its `dest`. */
  async image(name: string, folders: Array<{ src: string; dest: string }>): Promise<void> {
    const root = join(this.dir, `rootfs-${this.images.size}`);
    const put = (from: string, to: string): void => {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      copyFileSync(from, join(root, to));
    };
    const node = realpathSync(process.execPath);
    const sh = realpathSync('/bin/sh');
    put(node, '/usr/local/bin/node');
    put(sh, '/bin/sh');
    for (const lib of new Set([...librariesOf(node), ...librariesOf(sh)])) put(realpathSync(lib), lib);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    for (const f of folders) cpSync(f.src, join(root, f.dest), { recursive: true });
    const tar = `${root}.tar`;
    await this.must(this.run('tar', ['-C', root, '-cf', tar, '.']), 'tar of the image');
    rmSync(root, { recursive: true, force: true });
    this.images.add(name);
    await this.must(this.podman('import', '--change', 'ENV PATH=/usr/local/bin:/bin', tar, name), `podman import ${name}`);
    rmSync(tar, { force: true });
  }

  /**
   * `podman kube play` of a manifest. Adaptations, outside what is being checked:
   * - podman 4.3 cannot read the Secret documents it is given (its env lookup expects a flat JSON
   *   object of base64 values), so each Secret becomes a podman secret in that form;
   * - each containerPort is published on 127.0.0.1 at the host port `ports` gives for it;
   * - a pod with init containers is played with restartPolicy Never and podman's init type
   *   `always`: podman 4.3 applies the pod's restartPolicy Always to init containers too (it
   *   restarts one that completed, then fails removing it: "failed to remove once init
   *   container"), and `always` keeps the finished init container for `podman inspect`.
   */
  async play(manifest: string, ports: Record<number, number>): Promise<string> {
    const docs = parseAllDocuments(manifest)
      .map((d) => d.toJS() as Record<string, any>)
      .filter((d) => d !== null);
    const rest: Record<string, any>[] = [];
    for (const doc of docs) {
      if (doc.kind !== 'Secret') {
        if ((doc.spec?.template?.spec?.initContainers ?? []).length > 0) {
          doc.spec.template.spec.restartPolicy = 'Never';
          doc.metadata.annotations = { ...doc.metadata.annotations, 'io.podman.annotations.init.container.type': 'always' };
        }
        for (const c of doc.spec?.template?.spec?.containers ?? []) {
          for (const p of c.ports ?? []) {
            const host = ports[p.containerPort as number];
            if (host !== undefined) Object.assign(p, { hostIP: '127.0.0.1', hostPort: host });
          }
        }
        rest.push(doc);
        continue;
      }
      const name = doc.metadata.name as string;
      const data: Record<string, string> = { ...(doc.data ?? {}) };
      for (const [k, v] of Object.entries(doc.stringData ?? {})) data[k] = Buffer.from(String(v)).toString('base64');
      const file = join(this.dir, `secret-${name}.json`);
      writeFileSync(file, JSON.stringify(data), { mode: 0o600 });
      await this.podman('secret', 'rm', name);
      this.secrets.add(name);
      await this.must(this.podman('secret', 'create', name, file), `podman secret create ${name}`);
      rmSync(file, { force: true });
    }
    const file = join(this.dir, `play-${this.played.length}.yaml`);
    writeFileSync(file, rest.map((d) => stringify(d)).join('---\n'));
    this.played.push(file);
    // A pod left by a run that was killed before its cleanup holds the same name (podman names a
    // Deployment's pod <name>-pod-0): remove it, or the play fails with "pod already exists".
    for (const doc of rest) {
      if (doc.kind === 'Deployment') await this.podman('pod', 'rm', '-f', `${doc.metadata.name as string}-pod-0`);
      if (doc.kind === 'Pod') await this.podman('pod', 'rm', '-f', doc.metadata.name as string);
    }
    await this.must(this.podman('kube', 'play', '--network', 'slirp4netns', file), 'podman kube play');
    return file;
  }

  /**
   * podman 4.3 plays Pods, Deployments, ConfigMaps and volumes, not Jobs or CronJobs: what a
   * CronJob would run at each due time (its jobTemplate's pod) is played as a Pod named
   * `<name>-run`, with the manifest's other documents (ConfigMaps, Secrets) it refers to.
   */
  async playJobPod(manifest: string, cronJob: string): Promise<string> {
    const docs = parseAllDocuments(manifest).map((d) => d.toJS() as Record<string, any>);
    const cron = docs.find((d) => d.kind === 'CronJob' && d.metadata.name === cronJob);
    if (cron === undefined) throw new Error(`no CronJob ${cronJob} in the manifest`);
    const template = cron.spec.jobTemplate.spec.template;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: `${cronJob}-run` }, spec: template.spec };
    const refs = JSON.stringify(template.spec);
    const used = docs.filter((d) => (d.kind === 'ConfigMap' || d.kind === 'Secret') && refs.includes(`"${d.metadata.name as string}"`));
    return this.play([...used, pod].map((d) => stringify(d)).join('---\n'), {});
  }

  /** `podman-compose up -d` of DIR/compose.yaml as `project`. */
  async composeUp(dir: string, project: string): Promise<void> {
    this.composed.push({ dir, project });
    await this.must(
      this.run('podman-compose', ['-p', project, '-f', join(dir, 'compose.yaml'), 'up', '-d'], { cwd: dir }),
      'podman-compose up',
    );
  }

  /** Names of the lab's containers (all of them: pods' and compose's). */
  async containers(): Promise<string[]> {
    return (await this.must(this.podman('ps', '-a', '--format', '{{.Names}}'), 'podman ps')).split('\n').filter(Boolean);
  }

  async cleanup(): Promise<void> {
    for (const file of this.played.reverse()) await this.podman('kube', 'down', file);
    for (const c of this.composed) {
      await this.run('podman-compose', ['-p', c.project, '-f', join(c.dir, 'compose.yaml'), 'down'], { cwd: c.dir });
      await this.podman('network', 'rm', '-f', `${c.project}_default`);
    }
    for (const s of this.secrets) await this.podman('secret', 'rm', s);
    for (const i of this.images) await this.podman('rmi', '-f', i);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
