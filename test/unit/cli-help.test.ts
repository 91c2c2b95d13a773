import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_FIELDS } from '../../src/config/schema.js';
import { COMMANDS } from '../../src/cli/command-table.js';
import { startOptionHelp } from '../../src/cli/commands/start.js';
import { flagName, helpDefault } from '../../src/cli/flag-help.js';

/** Every flag a command parses must be in its `--help`, so help cannot fall behind the parser. */
describe('help matches the flags each command parses', () => {
  for (const [verb, entry] of Object.entries(COMMANDS)) {
    it(`tend ${verb} --help names every flag it accepts`, async () => {
      const command = await entry.load();
      const missing: string[] = [];
      for (const [name, opt] of Object.entries(command.options ?? {})) {
        const bare = name.replace(/^no-/, '');
        const shown = [`--${name}`, `--[no-]${bare}`].some((f) => command.help.includes(f));
        if (!shown) missing.push(`--${name}`);
        if (opt.short !== undefined && !new RegExp(`(^|[\\s,])-${opt.short}\\b`).test(command.help)) missing.push(`-${opt.short}`);
      }
      assert.deepEqual(missing, [], `tend ${verb} --help lacks ${missing.join(', ')}`);
    });
  }

  it("start --help lists every app setting that is a flag, with the schema's default", () => {
    const help = startOptionHelp();
    for (const f of APP_FIELDS.filter((x) => x.cli === true)) {
      const line = help.split('\n').find((l) => new RegExp(`(--|\\])${flagName(f.key)}(\\s|$)`).test(l));
      assert.ok(line !== undefined, `start --help lacks --${flagName(f.key)}`);
      const def = helpDefault(f);
      if (def !== '')
        assert.match(
          help.replace(/\s+/g, ' '),
          new RegExp(`\\(default ${def.replace(/[()]/g, '\\$&')}\\)`),
          `--${flagName(f.key)} default ${def}`,
        );
    }
  });
});

describe('man pages are made from the same help', () => {
  it('tend.1 lists every command and each tend-<verb>.1 names every flag of its command', async () => {
    const { manPages } = await import('../../src/cli/man-pages.js');
    const pages = await manPages();
    const unroff = (s: string): string => s.replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\&/g, '');
    const main = unroff(pages.get('tend.1') ?? '');
    for (const [verb, entry] of Object.entries(COMMANDS)) {
      assert.ok(main.includes(`\\fB${verb}\\fR`), `tend.1 lacks ${verb}`);
      const page = unroff(pages.get(`tend-${verb}.1`) ?? '');
      assert.ok(page.length > 0, `no tend-${verb}.1`);
      const command = await entry.load();
      for (const name of Object.keys(command.options ?? {})) {
        const bare = name.replace(/^no-/, '');
        assert.ok(page.includes(`--${name}`) || page.includes(`--[no-]${bare}`), `tend-${verb}.1 lacks --${name}`);
      }
    }
  });
});

describe('package.json installs every man page', () => {
  it('its "man" list is exactly the generated pages', async () => {
    const { readFileSync } = await import('node:fs');
    const { ROOT } = await import('../helpers/tend.js');
    const { manPages } = await import('../../src/cli/man-pages.js');
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { man?: string[] };
    const expected = [...(await manPages()).keys()].map((f) => `./dist/man/${f}`).sort();
    assert.deepEqual([...(pkg.man ?? [])].sort(), expected, 'run the build, then list dist/man/* in package.json "man"');
  });
});

describe('web --help names every action the API takes', () => {
  it("restart, stop, start and reload (from the protocol's one list)", async () => {
    const { WEB_ACTIONS } = await import('../../src/protocol/methods.js');
    const web = await COMMANDS.web?.load();
    for (const action of Object.keys(WEB_ACTIONS)) assert.match(web?.help ?? '', new RegExp(`\\b${action}\\b`), action);
    assert.match(web?.help ?? '', /restart\|stop\|start\|reload/);
  });
});
