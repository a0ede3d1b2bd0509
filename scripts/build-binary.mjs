#!/usr/bin/env node
// `npm run build:binary`: dist/sea/sockcat, one executable file with this Node inside and the
// whole CLI (dependencies included) in it, made with Node's single executable application
// support and postject. With a start-up snapshot where this Node can make one (else V8's code
// cache). The native addon, when built, is copied beside it as dist/sea/sockcat_native.node:
// copy both to another machine of the same kind; without the addon the native features fail with
// their usual "not available" message.
//
//   node scripts/build-binary.mjs [--no-snapshot] [--out DIR]     (default DIR: dist/sea)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const outAt = process.argv.indexOf('--out');
const out = outAt === -1 ? join(root, 'dist', 'sea') : resolve(process.argv[outAt + 1] ?? '');
const [major, minor] = process.versions.node.split('.').map(Number);

function fail(message) {
  console.error(`sockcat build:binary: ${message}`);
  process.exit(1);
}
if (process.platform !== 'linux') fail(`builds for Linux only, this is ${process.platform}`);
if (major < 20 || (major === 20 && minor < 12)) {
  fail(
    `needs Node >= 20.12 (single executable applications with code cache); this is ${process.version}`,
  );
}
let esbuild;
let postject;
try {
  esbuild = require('esbuild');
  postject = require('postject');
} catch {
  fail('esbuild and postject are devDependencies: run `npm install` in the checkout first');
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// One CommonJS file (a single executable runs one CommonJS script): no chunks, every dependency
// inside, dynamic imports inlined. import.meta.url has no meaning there; it becomes the
// executable's own URL, which makes paths relative to it point at files that do not exist (the
// man page, docs) rather than throw.
const snapshot = !process.argv.includes('--no-snapshot');
const main = join(out, 'sockcat.cjs');
await esbuild.build({
  absWorkingDir: root,
  stdin: {
    contents: snapshot
      ? `import { startupSnapshot } from 'node:v8';
import { start } from './src/cli/start.ts';
if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.setDeserializeMainFunction(() => { void start(); });
else void start();`
      : `import { start } from './src/cli/start.ts';
void start();`,
    resolveDir: root,
    sourcefile: 'sea-main.ts',
    loader: 'ts',
  },
  outfile: main,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: `node${major}`,
  keepNames: true,
  // node-pty (optional, for --pty) is a native module of its own: not inside the one file.
  external: ['node-pty'],
  define: { 'import.meta.url': '__sockcatExecutableUrl' },
  banner: {
    js: "var __sockcatExecutableUrl = require('node:url').pathToFileURL(process.execPath).href;",
  },
  logLevel: 'warning',
  legalComments: 'none',
});

const blob = join(out, 'sea-prep.blob');
const config = {
  main,
  output: blob,
  disableExperimentalSEAWarning: true,
  useSnapshot: snapshot,
  useCodeCache: !snapshot,
};
writeFileSync(join(out, 'sea-config.json'), `${JSON.stringify(config, null, 2)}\n`);
execFileSync(process.execPath, ['--experimental-sea-config', join(out, 'sea-config.json')], {
  cwd: root,
  stdio: 'inherit',
});

const binary = join(out, 'sockcat');
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
await postject.inject(binary, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
});
rmSync(blob);

const addon = join(root, 'native', 'build', 'Release', 'sockcat_native.node');
if (existsSync(addon)) copyFileSync(addon, join(out, 'sockcat_native.node'));
console.log(
  `sockcat: built ${binary}${snapshot ? ' (with a start-up snapshot)' : ' (with a code cache)'}` +
    (existsSync(addon) ? ', with sockcat_native.node beside it' : ', without the native addon'),
);
