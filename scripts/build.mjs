#!/usr/bin/env node
// The build: tsc compiles src/, test/, examples/ and bench/ to dist/ (the library, its typings and
// the tests), then esbuild bundles the CLI into dist/cli/ (one entry file that loads its chunks
// lazily), and the man page is generated from the option table; the native addon is rebuilt when
// its sources are newer than it. `npm run build` runs this.
//
//   node scripts/build.mjs           everything
//   node scripts/build.mjs --cli     the CLI bundle and the man page only (after a tsc build)
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

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

// What runs a session (run.ts, interrupt.ts and all they import) is one CommonJS file,
// chunks/main.cjs, compiled with a V8 code cache made at build time (chunks/main.cjs.cache):
// Node 20 has no module compile cache, and its ES module loader costs more per file (an async
// read, a module job, URL resolution) than most chunks' code. A lazy import() inside a CommonJS
// bundle stays lazy (esbuild wraps each module in an init function), so the builtins and
// packages a session does not use are still not loaded. Measured in bench/README.md
// ("Start-up"): a connect costs 58% fewer instructions beyond `node -e 0` than with 35 ES module
// chunks. A cache made by another V8 is rejected and the file compiles as usual.
const MAIN = join(outdir, 'chunks', 'main.cjs');
// vm.Script compiles the file inside this wrapper (the same bytes here and in the loader, or
// V8 rejects the cache). import() in a vm.Script needs a flag in Node 20: the bundle's import()
// calls (of packages, and of --js-exec modules) go through the loader's own import() instead.
const WRAPPER_HEAD =
  '(function (exports, require, module, __filename, __dirname, __sockcatImport) {';
const WRAPPER_TAIL = '\n})';
await esbuild.build({
  absWorkingDir: root,
  stdin: {
    contents:
      "export { main } from './src/cli/run.ts';\n" +
      "export { interruptOn, TERMINATING_SIGNALS } from './src/cli/interrupt.ts';\n",
    resolveDir: root,
    sourcefile: 'cli-main.ts',
    loader: 'ts',
  },
  outfile: MAIN,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  keepNames: true,
  logLevel: 'warning',
  legalComments: 'none',
  // import.meta.url (the addon's and the docs' paths) is this file's URL, as in an ES module.
  define: { 'import.meta.url': '__sockcatModuleUrl' },
  banner: { js: 'const __sockcatModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
{
  const source = readFileSync(MAIN, 'utf8');
  const calls = source.match(/\bimport\(/g)?.length ?? 0;
  const rewritten = source.replace(/\bimport\(/g, '__sockcatImport(');
  if (/\bimport\(/.test(rewritten) || calls === 0)
    fail('main.cjs: the import() calls were not found');
  writeFileSync(MAIN, rewritten);
  // The cache: compile, run the module and one argument parse (what every run does), then ask V8
  // for everything compiled so far.
  const script = new vm.Script(WRAPPER_HEAD + rewritten + WRAPPER_TAIL, { filename: MAIN });
  const module = { exports: {} };
  script.runInThisContext()(
    module.exports,
    createRequire(MAIN),
    module,
    MAIN,
    dirname(MAIN),
    (specifier) => import(specifier),
  );
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  await module.exports.main(['--sockcat-build-warm-up'], {
    stdin: Readable.from([]),
    stdout: sink,
    stderr: sink,
    env: {},
  });
  writeFileSync(`${MAIN}.cache`, script.createCachedData());
}
// start.ts's import() of run.js and interrupt.js becomes a small ES module (a chunk beside
// main.cjs) that compiles main.cjs with its cache.
const mainLoader = {
  name: 'main-loader',
  setup(build) {
    build.onResolve({ filter: /^\.\/(run|interrupt)\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'cli', 'start.ts'))
        ? { path: 'cli-main', namespace: 'main-loader' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'main-loader' }, () => ({
      contents: `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
const file = fileURLToPath(new URL('./main.cjs', import.meta.url));
let cachedData;
try {
  cachedData = readFileSync(file + '.cache');
} catch {}
const source = ${JSON.stringify(WRAPPER_HEAD)} + readFileSync(file, 'utf8') + ${JSON.stringify(WRAPPER_TAIL)};
const script = new Script(source, { filename: file, cachedData });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (specifier) => import(specifier));
export const { main, interruptOn, TERMINATING_SIGNALS } = module.exports;
`,
      loader: 'js',
      resolveDir: join(root, 'src', 'cli'),
    }));
  },
};
await esbuild.build({
  absWorkingDir: root,
  plugins: [mainLoader],
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

// The native addon, when it is older than its sources (native/src/*, native/binding.gyp): tests
// would run the stale one and pass or fail for code that is no longer there. An addon never built
// (SOCKCAT_NO_NATIVE=1, no compiler) is left to `npm install`/`npm rebuild`.
{
  const addon = join(root, 'native', 'build', 'Release', 'sockcat_native.node');
  const sources = () => [
    join(root, 'native', 'binding.gyp'),
    ...readdirSync(join(root, 'native', 'src'), { recursive: true }).map((name) =>
      join(root, 'native', 'src', name),
    ),
  ];
  const newer = () => {
    const built = statSync(addon).mtimeMs;
    return sources().filter((file) => statSync(file).isFile() && statSync(file).mtimeMs > built);
  };
  const stale = process.env.SOCKCAT_NO_NATIVE === '1' || !existsSync(addon) ? [] : newer();
  if (stale.length > 0) {
    const names = stale.map((file) => relative(root, file)).join(', ');
    console.log(`sockcat build: the native addon is older than ${names}: rebuilding it`);
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
      cwd: root,
      stdio: 'inherit',
    });
    if (result.status !== 0 || newer().length > 0) {
      fail(
        `the native addon (${relative(root, addon)}) is older than ${names} and did not rebuild: ` +
          'fix the build (see above) or delete the file, or the tests run the old code',
      );
    }
  }
}
