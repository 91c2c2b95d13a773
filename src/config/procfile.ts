import { TendError } from '../errors.js';

/** One `name: command` line of a Procfile. */
export interface ProcfileEntry {
  type: string;
  command: string;
  line: number;
}

export interface ParsedProcfile {
  entries: ProcfileEntry[];
  warnings: string[];
}

/** Foreman's first port when neither `PORT` nor a base port is given. */
export const FOREMAN_BASE_PORT = 5000;

// foreman's own pattern for a process line: a type name, a colon, the command.
const LINE = /^([A-Za-z0-9_-]+):\s*(.+?)\s*$/;

/**
 * Parses the foreman/overmind Procfile format: `name: command` lines, `#` comments and blank
 * lines. A line that is neither is reported as a warning (foreman silently skips it).
 */
export function parseProcfile(text: string, file: string): ParsedProcfile {
  const entries: ProcfileEntry[] = [];
  const warnings: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = i + 1;
      if (/^\s*(#.*)?$/.test(raw)) return;
      const m = LINE.exec(raw.trim());
      if (m === null) {
        warnings.push(`${file}:${line}: not a \`name: command\` line, ignored`);
        return;
      }
      const type = m[1] as string;
      const previous = entries.find((e) => e.type === type);
      if (previous !== undefined) {
        throw new TendError('E_CONFIG_INVALID', `${file}:${line}: process type \`${type}\` is already defined on line ${previous.line}`, {
          hint: 'Give each process type its own name.',
          details: { file, line, type },
        });
      }
      entries.push({ type, command: m[2] as string, line });
    });
  if (entries.length === 0) {
    throw new TendError('E_CONFIG_INVALID', `${file} defines no processes`, {
      hint: 'Write one `name: command` line per process, e.g. `web: node server.js`.',
      details: { file },
    });
  }
  return { entries, warnings };
}

/**
 * Parses foreman's `--formation` (`-m`): `web=2,worker=1`; `all=N` sets the count of every type
 * not named. Types not named run once; `0` does not run a type.
 */
export function parseFormation(formation: string | undefined, types: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  let all = 1;
  for (const part of (formation ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(\d+)$/.exec(part);
    if (m === null) {
      throw new TendError('E_USAGE', `--formation: expected \`type=count\` pairs like \`web=2,worker=1\`, got \`${part}\``, {
        details: { formation },
      });
    }
    const type = m[1] as string;
    const count = Number(m[2]);
    if (type === 'all') all = count;
    else if (!types.includes(type)) {
      throw new TendError('E_USAGE', `--formation: the Procfile has no process type \`${type}\`; its types are: ${types.join(', ')}`, {
        details: { formation, types },
      });
    } else counts.set(type, count);
  }
  for (const type of types) if (!counts.has(type)) counts.set(type, all);
  return counts;
}

/**
 * Turns Procfile entries into raw apps (PM2 keys), one per instance, the way foreman runs them:
 * - names are `<type>.<n>`, n from 1 (`web.1`, `web.2`, `worker.1`);
 * - `PORT` = base + 100 × (the type's position in the Procfile) + (n − 1), so with the default
 *   base 5000: web.1 = 5000, web.2 = 5001, worker.1 = 5100; `PS` holds the name;
 * - commands run through the shell, from the Procfile's folder.
 * `dotenv` (the variables of the `.env` beside the Procfile, which foreman reads) sits under `PORT`/`PS`.
 */
export function procfileApps(
  entries: readonly ProcfileEntry[],
  options: { formation?: string | undefined; basePort: number; dotenv?: Record<string, string> | undefined },
): Record<string, unknown>[] {
  const counts = parseFormation(
    options.formation,
    entries.map((e) => e.type),
  );
  const apps: Record<string, unknown>[] = [];
  entries.forEach((entry, index) => {
    const count = counts.get(entry.type) ?? 1;
    for (let n = 1; n <= count; n++) {
      const name = `${entry.type}.${n}`;
      const app: Record<string, unknown> = {
        name,
        script: entry.command,
        shell: true,
        env: { ...options.dotenv, PORT: String(options.basePort + index * 100 + (n - 1)), PS: name },
      };
      apps.push(app);
    }
  });
  return apps;
}

/** The Procfile type of an app name (`web.2` → `web`), for `--only web`. */
export function procfileType(name: string): string {
  return name.replace(/\.\d+$/, '');
}
