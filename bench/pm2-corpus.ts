/**
 * Acceptance of real PM2 ecosystem files: each file is started by PM2 7.0.4 and by tend, in the
 * same folder, with the same environment, and what each would run is compared app by app:
 * process count, script, interpreter, interpreter args, args, cwd, the variables the file sets,
 * and the stdout/stderr log paths (PM2_HOME/logs ↔ TEND_HOME/logs).
 *
 *   node dist/bench/pm2-corpus.js <corpus dir>…    (a dir holds manifest.json: [{source, dir, file}])
 *   TEND_CORPUS_FILTER=RE limits the files; TEND_CORPUS_BIN=path/to/tend checks another build.
 *
 * Files PM2 refuses are counted apart. Missing scripts are stubbed (a Node file that idles) so a
 * file taken out of its repository still describes the same processes. PM2 comes from the bench
 * cache (ensurePm2). Prints one line per file and the totals; exits 1 when a file PM2 starts is
 * refused or started differently by tend.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { benchCache, tendBin } from './lib/paths.js';
import { PM2_VERSION, ensurePm2 } from './lib/pm2.js';

interface Entry {
  source: string;
  dir: string | null;
  file?: string;
  note?: string;
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
interface Facts {
  name: string;
  script: string;
  interpreter: string;
  interpreterArgs: string[];
  args: string[];
  cwd: string;
  env: Record<string, string>;
  out: string;
  err: string;
}

/** The tend to check: this checkout's, or TEND_CORPUS_BIN (a built copy, so a rebuild mid-run cannot mix versions). */
const tend = process.env.TEND_CORPUS_BIN ?? tendBin;
const pm2Bin = (): string => join(benchCache(), `pm2-${PM2_VERSION}`, 'node_modules', 'pm2', 'bin', 'pm2');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** The apps a config declares (evaluated in a child, as both tools do), to stub missing scripts. */
async function declaredApps(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Array<Record<string, unknown>>> {
  const code = `const f=${JSON.stringify(file)};let v;if(/\\.json5?$/.test(f)){v=(0,eval)('('+require('fs').readFileSync(f,'utf8')+')')}else if(/\\.ya?ml$/.test(f)){v=require(${JSON.stringify(createRequire(import.meta.url).resolve('yaml'))}).parse(require('fs').readFileSync(f,'utf8'))}else{v=require(f)}
const a=v&&(v.apps||v.pm2)||v;process.stdout.write(JSON.stringify([].concat(a||[])))`;
  const r = await run(process.execPath, ['-e', code], cwd, env, 10_000);
  try {
    return (JSON.parse(r.stdout) as unknown[]).filter((a): a is Record<string, unknown> => typeof a === 'object' && a !== null);
  } catch {
    return [];
  }
}

function stubScripts(apps: Array<Record<string, unknown>>, shellCwd: string): void {
  for (const app of apps) {
    const cwd = typeof app.cwd === 'string' ? resolve(shellCwd, app.cwd) : shellCwd;
    if (!cwd.startsWith('/tmp/')) continue;
    mkdirSync(cwd, { recursive: true });
    const script = app.script ?? app.cmd ?? app.exec;
    if (typeof script !== 'string' || /\s/.test(script.trim()) || !/[/.]/.test(script)) continue;
    const path = resolve(cwd, script);
    if (!path.startsWith('/tmp/') || existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, path.endsWith('/') ? '' : 'setInterval(() => {}, 1e9);\n');
  }
}

/** Variables PM2 adds itself (not from the file). */
const PM2_OWN =
  /^(PM2_|pm_|unique_id|km_link|vizion_running|NODE_APP_INSTANCE|name|namespace|instance_var|exec_mode|status|restart_time|axm_|io$|version$|node_version$|username$|windowsHide$|treekill$|autostart$|autorestart$|created_at$|unstable_restarts$|prev_restart_delay$|exit_code$|env$)/;

function pm2Facts(
  list: Array<{ name: string; pm2_env: Record<string, unknown> }>,
  base: NodeJS.ProcessEnv,
  pm2Home: string,
  tendHome: string,
): Facts[] {
  return list.map(({ name, pm2_env: e }) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries((e.env ?? {}) as Record<string, unknown>)) {
      // PM2 also lists the app's own name and PWD (tend sets PWD when it spawns, not in the spec).
      if (v === null || typeof v === 'object' || k === name || k === 'PWD' || PM2_OWN.test(k)) continue;
      if (base[k] !== String(v)) env[k] = String(v);
    }
    const logs = (p: unknown): string => String(p).replace(join(pm2Home, 'logs'), join(tendHome, 'logs'));
    let script = String(e.pm_exec_path);
    let args = ((e.args ?? []) as unknown[]).map(String);
    let interpreter = String(e.exec_interpreter ?? 'node');
    if (/\/(ba)?sh$/.test(script) && args[0] === '-c') {
      script = `shell: ${args[1] ?? ''}`;
      args = [];
      interpreter = 'none';
    }
    if (interpreter === process.execPath) interpreter = 'node';
    return {
      name,
      script,
      interpreter,
      interpreterArgs: ((e.node_args ?? []) as unknown[]).map(String),
      args,
      cwd: String(e.pm_cwd),
      env,
      out: logs(e.pm_out_log_path),
      err: logs(e.pm_err_log_path),
    };
  });
}

interface TendDetail {
  name: string;
  spec: {
    exec: { script: string; args: string[]; interpreter: string | null; interpreterArgs: string[]; shell: boolean };
    cwd: string;
    env: Record<string, string>;
  };
  logs: { out: string | null; err: string | null };
}

function tendFacts(list: TendDetail[], base: NodeJS.ProcessEnv): Facts[] {
  return list.map((d) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.spec.env)) if (base[k] !== v && !PM2_OWN.test(k)) env[k] = v;
    const x = d.spec.exec;
    // A command found in PATH (`npm`) is run directly by tend and by `node <path>` in PM2: the
    // same program when the file is a Node script (its shebang runs node).
    const fromPath = x.interpreter === null && !x.shell && !x.script.includes('/') ? whichNodeScript(x.script, base.PATH) : undefined;
    return {
      name: d.name,
      script: x.shell ? `shell: ${x.script}` : (fromPath ?? x.script),
      interpreter: x.shell ? 'none' : fromPath !== undefined ? 'node' : (x.interpreter ?? 'none'),
      interpreterArgs: x.interpreterArgs,
      args: x.args,
      cwd: d.spec.cwd,
      env,
      out: d.logs.out ?? '/dev/null',
      err: d.logs.err ?? '/dev/null',
    };
  });
}

function whichNodeScript(command: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(':')) {
    const file = join(dir, command);
    try {
      if (statSync(file).isFile() && /^#!.*\bnode\b/.test(readFileSync(file, 'utf8').slice(0, 200))) return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Differences between what PM2 and tend would run, one phrase each. A different number of
 * processes (PM2's `instances`) is reported apart, and the other facts are then compared for the
 * first process of each app (what tend runs while it has no cluster mode).
 */
function compare(pm2: Facts[], tend: Facts[]): { diffs: string[]; instances: string[] } {
  const diffs: string[] = [];
  const instances: string[] = [];
  const names = [...new Set(pm2.map((p) => p.name))];
  for (const name of names) {
    const ps = pm2.filter((p) => p.name === name);
    const ts = tend.filter((t) => t.name === name);
    if (ts.length === 0) {
      diffs.push(`${name}: not started by tend`);
      continue;
    }
    if (ts.length !== ps.length) instances.push(`${name}: ${ps.length} process(es) in PM2, ${ts.length} in tend`);
    const n = Math.min(ps.length, ts.length);
    const p = ps[0] as Facts;
    const t = ts[0] as Facts;
    const pythonish = (i: string): string => (/python/.test(i) ? 'python' : i.replace(/^.*\//, ''));
    if (p.script !== t.script) diffs.push(`${name}: script ${p.script} ≠ ${t.script}`);
    if (pythonish(p.interpreter) !== pythonish(t.interpreter)) diffs.push(`${name}: interpreter ${p.interpreter} ≠ ${t.interpreter}`);
    if (JSON.stringify(p.args) !== JSON.stringify(t.args))
      diffs.push(`${name}: args ${JSON.stringify(p.args)} ≠ ${JSON.stringify(t.args)}`);
    if (p.interpreter === 'node' && JSON.stringify(p.interpreterArgs) !== JSON.stringify(t.interpreterArgs))
      diffs.push(`${name}: node args ${JSON.stringify(p.interpreterArgs)} ≠ ${JSON.stringify(t.interpreterArgs)}`);
    if (p.cwd !== t.cwd) diffs.push(`${name}: cwd ${p.cwd} ≠ ${t.cwd}`);
    for (const k of new Set([...Object.keys(p.env), ...Object.keys(t.env)])) {
      if (p.env[k] !== t.env[k]) diffs.push(`${name}: env ${k}=${p.env[k] ?? '(unset)'} ≠ ${t.env[k] ?? '(unset)'}`);
    }
    // Several instances: PM2 writes one file per instance, tend's cluster mode one per app (the
    // workers' lines go through its primary): reported apart. PM2 gives ids in launch order across
    // apps, tend consecutive ids per app, so the `-<id>` of each file is compared as `-N`.
    const distinct = (xs: Facts[]): number => new Set(xs.slice(0, n).map((x) => x.out)).size;
    if (n > 1 && distinct(ps) !== distinct(ts)) instances.push(`${name}: ${distinct(ps)} stdout file(s) in PM2, ${distinct(ts)} in tend`);
    const ids = (f: string): string => (n > 1 ? f.replace(/-\d+\.log$/, '-N.log') : f);
    const pOut = ps
      .slice(0, n)
      .map((x) => ids(x.out))
      .sort()
      .join(',');
    const tOut = ts
      .slice(0, n)
      .map((x) => ids(x.out))
      .sort()
      .join(',');
    if (pOut !== tOut) diffs.push(`${name}: out log ${pOut} ≠ ${tOut}`);
    const pErr = ps
      .slice(0, n)
      .map((x) => ids(x.err))
      .sort()
      .join(',');
    const tErr = ts
      .slice(0, n)
      .map((x) => ids(x.err))
      .sort()
      .join(',');
    if (pErr !== tErr) diffs.push(`${name}: err log ${pErr} ≠ ${tErr}`);
  }
  return { diffs, instances };
}

type Outcome = 'same' | 'same-but-instances' | 'differs' | 'tend-refuses' | 'pm2-refuses';

async function check(configPath: string, shellCwd: string, label: string): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'corpus-home-'));
  const pm2Home = join(home, '.pm2');
  const tendHome = join(home, '.tend');
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };
  const pm2Env = { ...base, PM2_HOME: pm2Home };
  const tendEnv = { ...base, TEND_HOME: tendHome };
  try {
    stubScripts(await declaredApps(configPath, shellCwd, base), shellCwd);
    const started = await run(process.execPath, [pm2Bin(), 'start', configPath], shellCwd, pm2Env);
    const listed = await run(process.execPath, [pm2Bin(), 'jlist'], shellCwd, pm2Env);
    await run(process.execPath, [pm2Bin(), 'kill'], shellCwd, pm2Env);
    let pm2List: Array<{ name: string; pm2_env: Record<string, unknown> }> = [];
    try {
      pm2List = JSON.parse(listed.stdout.slice(listed.stdout.indexOf('['))) as typeof pm2List;
    } catch {
      /* none */
    }
    if (pm2List.length === 0) {
      console.log(
        `PM2 REFUSES  ${label}: ${
          (started.stderr + started.stdout)
            .split('\n')
            .find((l) => /error|not found|invalid/i.test(l))
            ?.trim() ?? `exit ${started.code}`
        }`,
      );
      return 'pm2-refuses';
    }
    const t = await run(tend, ['start', configPath, '--json'], shellCwd, tendEnv);
    // One entry per process (cluster instances have their own ids and log files).
    let tendList: TendDetail[] = [];
    try {
      const ids = (JSON.parse((await run(tend, ['list', '--json'], shellCwd, tendEnv)).stdout) as Array<{ id: number }>).map((p) => p.id);
      for (const id of ids)
        tendList.push(
          ...(JSON.parse(
            (await run(tend, ['describe', String(id), '--json', '--show-secrets'], shellCwd, tendEnv)).stdout,
          ) as TendDetail[]),
        );
    } catch {
      tendList = [];
    }
    await run(tend, ['kill'], shellCwd, tendEnv);
    if (tendList.length === 0) {
      console.log(`TEND REFUSES ${label}: ${t.stderr.trim().split('\n')[0] ?? ''}`);
      return 'tend-refuses';
    }
    const byId = (a: { pm2_env: Record<string, unknown> }, b: { pm2_env: Record<string, unknown> }): number =>
      Number(a.pm2_env.pm_id) - Number(b.pm2_env.pm_id);
    const { diffs, instances } = compare(pm2Facts([...pm2List].sort(byId), base, pm2Home, tendHome), tendFacts(tendList, base));
    if (diffs.length > 0) {
      console.log(`DIFFERS      ${label}: ${[...instances, ...diffs].join('; ')}`);
      return 'differs';
    }
    console.log(
      instances.length === 0
        ? `same         ${label} (${pm2List.length} process(es))`
        : `INSTANCES    ${label}: same, but ${instances.join('; ')}`,
    );
    return instances.length === 0 ? 'same' : 'same-but-instances';
  } finally {
    // An app's last writes (npm's cache) can race the removal: retry, and never fail the run on it.
    try {
      rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      /* left in /tmp */
    }
  }
}

async function main(): Promise<number> {
  await ensurePm2();
  const totals: Record<Outcome | 'skipped', number> = {
    same: 0,
    'same-but-instances': 0,
    differs: 0,
    'tend-refuses': 0,
    'pm2-refuses': 0,
    skipped: 0,
  };
  for (const corpus of process.argv.slice(2)) {
    const entries = JSON.parse(readFileSync(join(corpus, 'manifest.json'), 'utf8')) as Entry[];
    for (const e of entries) {
      if (process.env.TEND_CORPUS_FILTER !== undefined && !new RegExp(process.env.TEND_CORPUS_FILTER).test(e.source)) continue;
      if (e.dir === null || e.file === undefined) {
        console.log(`skipped      ${e.source}: ${e.note ?? ''}`);
        totals.skipped += 1;
        continue;
      }
      // Each file runs in a private copy of its folder, from the folder it sits in (as its README says).
      const sandbox = mkdtempSync(join(tmpdir(), 'corpus-project-'));
      try {
        const src = resolve(corpus, e.dir);
        cpSync(src, sandbox, { recursive: true, filter: (p) => !p.includes('node_modules') && !p.includes('/.git') });
        const file = join(sandbox, e.file);
        if (!existsSync(file) || !statSync(file).isFile()) {
          totals.skipped += 1;
          continue;
        }
        totals[await check(file, dirname(file), e.source)] += 1;
      } finally {
        try {
          rmSync(sandbox, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        } catch {
          /* left in /tmp */
        }
      }
    }
  }
  const accepted = totals.same + totals['same-but-instances'] + totals.differs + totals['tend-refuses'];
  console.log(
    `\nfiles PM2 starts: ${accepted}; tend starts them the same: ${totals.same}; the same except instances (their count, or one log file per app instead of one per instance): ${totals['same-but-instances']}; started differently: ${totals.differs}; refused by tend: ${totals['tend-refuses']}; PM2 refuses: ${totals['pm2-refuses']}; skipped: ${totals.skipped}`,
  );
  return totals.differs + totals['tend-refuses'] > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
