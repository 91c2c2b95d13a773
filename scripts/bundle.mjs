// Bundles the CLI and the daemon into one CommonJS file each (dist/cli.cjs, dist/daemon.cjs).
// Why: a CLI call is dominated by Node's start-up plus module loading; one pre-linked CJS file
// skips the ESM loader and dozens of file look-ups (measured: see BENCHMARKS.md). Command modules
// stay lazy: esbuild wraps dynamically imported modules in initializers run on first use.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Loaded on demand from node_modules (YAML configs, JSON files that are not strict JSON, cron
  // patterns, and koffi, a native FFI module, for posix_spawn and waitpid).
  external: ['yaml', 'json5', 'croner', 'koffi'],
  // import.meta.url has no CJS meaning; give it the bundle's own URL.
  define: { 'import.meta.url': 'import_meta_url' },
  banner: { js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

// The CLI core stays small (V8 compiles a script's whole text before running it): each command
// is its own bundle in dist/commands/, required only when that verb runs. Modules shared by
// several bundles are duplicated, which is safe: errors are matched by a Symbol.for brand.
const lazyCommands = {
  name: 'lazy-commands',
  setup(b) {
    // Any file of src/cli/ itself (main.ts, command-table.ts): matching main.ts alone let the
    // command table pull every command, the daemon included, into dist/cli.cjs (725 kB).
    b.onResolve({ filter: /^\.\/commands\/[\w-]+\.js$/ }, (args) =>
      /[\\/]src[\\/]cli$/.test(dirname(args.importer)) ? { path: args.path.replace(/\.js$/, '.cjs'), external: true } : undefined,
    );
  },
};
// The config loader (schema, every format's parser) is required by the commands that read a
// config file, when they read one: `tend restart api` or `tend start app.js` never parse it.
const lazyConfigLoader = {
  name: 'lazy-config-loader',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/config\/load\.js$/ }, (args) =>
      args.kind === 'dynamic-import' && /[\\/]src[\\/]cli$/.test(dirname(args.importer))
        ? { path: './config-load.cjs', external: true }
        : undefined,
    );
  },
};
const commands = readdirSync('src/cli/commands')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `src/cli/commands/${f}`);

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.cjs', plugins: [lazyCommands] }),
  build({ ...common, entryPoints: commands, outdir: 'dist/commands', outExtension: { '.js': '.cjs' }, plugins: [lazyConfigLoader] }),
  build({ ...common, entryPoints: ['src/config/load.ts'], outfile: 'dist/commands/config-load.cjs' }),
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/daemon.cjs' }),
  build({ ...common, entryPoints: ['src/holder/main.ts'], outfile: 'dist/holder.cjs' }),
  build({ ...common, entryPoints: ['src/holder/worker-hook.ts'], outfile: 'dist/worker-hook.cjs' }),
  // The process that evaluates JS config files (src/config/config-code.ts finds it beside the
  // command bundles).
  build({ ...common, entryPoints: ['src/config/config-code-child.ts'], outfile: 'dist/commands/config-code-child.cjs' }),
  // The Node API (`require('tend-pm')` / `import … from 'tend-pm'`): never loaded by the CLI. Its types
  // come from tsc (src/api/tsconfig.json → dist/types).
  build({ ...common, entryPoints: ['src/api/index.ts'], outfile: 'dist/api.cjs' }),
  build({ ...common, format: 'esm', define: {}, banner: {}, entryPoints: ['src/api/index.ts'], outfile: 'dist/api.mjs' }),
  // The PTY holder (src/supervisor/pty-launch.ts finds it): the native PTY module and the
  // terminal emulator load from node_modules.
  build({
    ...common,
    entryPoints: ['src/pty/holder-main.ts'],
    outfile: 'dist/pty-holder.cjs',
    external: [...common.external, '@lydell/node-pty', '@xterm/headless', '@xterm/addon-serialize'],
  }),
  // The dashboard's script (type-checked by src/web/dashboard/tsconfig.json), for the browser.
  build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
    entryPoints: ['src/web/dashboard/app.ts'],
    outfile: 'dist/web/app.js',
  }),
]);

// esbuild keeps an external dynamic import() as import(), which would send each command through
// the ESM loader (and its CommonJS export scanner); a plain require() is what a CJS bundle wants.
const cli = readFileSync('dist/cli.cjs', 'utf8');
let rewritten = 0;
const out = cli.replace(/import\(("\.\/commands\/[\w-]+\.cjs")\)/g, (_m, path) => {
  rewritten += 1;
  return `Promise.resolve().then(() => require(${path}))`;
});
if (rewritten === 0) throw new Error('bundle: no command import() found to rewrite in dist/cli.cjs');
writeFileSync('dist/cli.cjs', out);
let loaderImports = 0;
for (const f of readdirSync('dist/commands').filter((n) => n.endsWith('.cjs'))) {
  const text = readFileSync(`dist/commands/${f}`, 'utf8');
  const lazy = text.replace(/import\("\.\/config-load\.cjs"\)/g, () => {
    loaderImports += 1;
    return 'Promise.resolve().then(() => require("./config-load.cjs"))';
  });
  if (lazy !== text) writeFileSync(`dist/commands/${f}`, lazy);
}
if (loaderImports === 0) throw new Error('bundle: no import() of the config loader found to rewrite in dist/commands/');

// esbuild escapes non-ASCII text in code but keeps the comments it carries over as they are. One
// non-ASCII character makes Node hold the whole bundle's source as a two-byte string (V8 keeps
// every script's source for lazy compilation): 0.9 MB instead of 0.45 MB of the daemon's heap.
for (const dir of ['dist', 'dist/commands']) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cjs'))) {
    const path = `${dir}/${f}`;
    const text = readFileSync(path, 'utf8');
    if (/[^\x00-\x7f]/.test(text))
      writeFileSync(
        path,
        text.replace(/[^\x00-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`),
      );
  }
}

// The dashboard's other files, served by the daemon from dist/web/ (shipped in the package: no CDN,
// no build step at install time). uPlot comes from its npm package's prebuilt files.
mkdirSync('dist/web', { recursive: true });
for (const f of readdirSync('src/web/public')) copyFileSync(`src/web/public/${f}`, `dist/web/${f}`);
for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) copyFileSync(`node_modules/uplot/dist/${f}`, `dist/web/${f}`);
