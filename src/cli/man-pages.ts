import { renderConfigHelp } from '../config/help.js';
import { VERSION } from '../version.js';
import { ALIASES, COMMANDS } from './command-table.js';

/**
 * Man pages made from the same text as `--help`: `tend.1` (every command with its summary) and
 * one `tend-<verb>.1` per command whose body is that command's help, section by section. The
 * build writes them to dist/man/, which the package installs (`man tend-start`).
 */

/** roff-escapes a line: backslashes, and a leading `.` or `'` that would read as a request. */
function roff(line: string): string {
  return line
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/, '\\&$1')
    .replace(/-/g, '\\-');
}

/** A help text's sections (`Synopsis`, `Options`, …: an unindented line starts one) as roff. */
function helpToRoff(help: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const line of help.trim().split('\n')) {
    if (line.length > 0 && !line.startsWith(' ')) {
      if (inBlock) out.push('.fi');
      inBlock = false;
      if (/^[A-Z][\w ()`'-]*$/.test(line) && line.length < 60) {
        out.push(`.SH ${roff(line.toUpperCase())}`);
        continue;
      }
      out.push(roff(line));
      continue;
    }
    if (!inBlock) out.push('.nf');
    inBlock = true;
    out.push(line.length === 0 ? '' : roff(line));
  }
  if (inBlock) out.push('.fi');
  return out;
}

const header = (name: string, summary: string): string[] => [
  `.TH ${name.toUpperCase()} 1 "" "tend ${VERSION}" "tend manual"`,
  '.SH NAME',
  `${roff(name)} \\- ${roff(summary)}`,
];

/** Every page: file name → roff text. */
export async function manPages(): Promise<Map<string, string>> {
  const pages = new Map<string, string>();
  const aliasesOf = (verb: string): string[] =>
    Object.entries(ALIASES)
      .filter(([, v]) => v === verb)
      .map(([a]) => a);
  for (const [verb, entry] of Object.entries(COMMANDS)) {
    const command = await entry.load();
    const aliases = aliasesOf(verb);
    const body = [...header(`tend-${verb}`, entry.summary), ...helpToRoff(command.help)];
    if (aliases.length > 0) body.push('.SH ALIASES', roff(aliases.map((a) => `tend ${a}`).join(', ')));
    body.push('.SH SEE ALSO', '\\fBtend\\fR(1)');
    pages.set(`tend-${verb}.1`, `${body.join('\n')}\n`);
  }
  const main = [
    ...header('tend', 'keeps web apps and any long-running command running'),
    '.SH SYNOPSIS',
    '\\fBtend\\fR \\fIcommand\\fR [\\fIoptions\\fR]',
    '.SH COMMANDS',
    ...Object.entries(COMMANDS).flatMap(([verb, entry]) => [
      '.TP',
      `\\fB${verb}\\fR`,
      `${roff(entry.summary)}; see \\fBtend\\-${verb}\\fR(1).`,
    ]),
    '.SH APP SETTINGS',
    '.nf',
    ...renderConfigHelp({ width: 78 }).split('\n').map(roff),
    '.fi',
    '.SH ENVIRONMENT',
    '.TP',
    '\\fBTEND_HOME\\fR',
    'Folder of the daemon socket, state and logs (default ~/.tend).',
    '.SH EXIT STATUS',
    '0 ok, 1 operation failed, 2 bad usage or input, 3 daemon unreachable.',
  ];
  pages.set('tend.1', `${main.join('\n')}\n`);
  return pages;
}
