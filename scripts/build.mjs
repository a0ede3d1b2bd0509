#!/usr/bin/env node
// The build: tsc compiles src/, test/, examples/ and bench/ to dist/ (the library, its typings and
// the tests), then esbuild bundles the CLI into dist/cli/ (one entry file that loads its chunks
// lazily), and the man page is generated from the option table. `npm run build` runs this.
//
//   node scripts/build.mjs           everything
//   node scripts/build.mjs --cli     the CLI bundle and the man page only (after a tsc build)
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function fail(message) {
  console.error(`sockcat build: ${message}`);
  process.exit(1);
}

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  fail('esbuild is not installed: run `npm install` in the checkout first (it is a devDependency)');
}

if (!process.argv.includes('--cli')) {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
  } catch {
    fail('typescript is not installed: run `npm install` in the checkout first (a devDependency)');
  }
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// The CLI: dist/cli/sockcat.js imports only Node built-ins up front; the rest of sockcat's code
// is in dist/cli/chunks/, loaded by dynamic import() when the options ask for it. The chunks sit three
// levels below the package root, as dist/src/native/load.js does, so that the addon's relative
// path (native/build/Release/) is the same from both.
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { sockcat: 'src/cli/bin.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies (socks, ws, wasmoon) stay in node_modules, loaded as Node loads them: a
  // CommonJS package split into an ESM chunk would lose its named exports. The one-file binary
  // (scripts/build-binary.mjs) bundles them, without splitting.
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  // Class names are part of the API (error.name, and instanceof across copies: src/errors.ts).
  keepNames: true,
  logLevel: 'warning',
  legalComments: 'none',
});
const bin = join(outdir, 'sockcat.js');
// The bin must stay executable across rebuilds: `npm link` points PATH straight at this file.
chmodSync(bin, 0o755);

// The man page, from the option table (the single source of the options).
const { manPage } = await import(pathToFileURL(join(root, 'dist/src/cli/man-page.js')).href);
const { VERSION } = await import(pathToFileURL(join(root, 'dist/src/version.js')).href);
mkdirSync(join(root, 'dist', 'man'), { recursive: true });
writeFileSync(join(root, 'dist', 'man', 'sockcat.1'), manPage(VERSION));
