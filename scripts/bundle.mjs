// Bundles the CLI and the daemon into one CommonJS file each (dist/cli.cjs, dist/daemon.cjs).
// Why: a CLI call is dominated by Node's start-up plus module loading; one pre-linked CJS file
// skips the ESM loader and dozens of file look-ups (measured: see BENCHMARKS.md). Command modules
// stay lazy: esbuild wraps dynamically imported modules in initializers run on first use.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // Loaded on demand from node_modules (YAML configs only).
  external: ['yaml'],
  // import.meta.url has no CJS meaning; give it the bundle's own URL.
  define: { 'import.meta.url': 'import_meta_url' },
  banner: { js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.cjs' }),
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/daemon.cjs' }),
]);
