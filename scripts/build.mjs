#!/usr/bin/env node
// The build: tsc compiles src/, test/, examples/ and bench/ to dist/ (the library, its typings and
// the tests), then esbuild bundles the CLI into dist/cli/ (one CommonJS entry file that loads its
// chunks lazily, and main.cjs's V8 code cache), and the man page is generated from the option
// table; the native addon is rebuilt when its sources are newer than it. `npm run build` runs this.
//
//   node scripts/build.mjs           everything
//   node scripts/build.mjs --cli     the CLI bundle and the man page only (after a tsc build)
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { renamedClasses, sourceClassNames } from './class-names.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function fail(message) {
  console.error(`sockcat build: ${message}`);
  process.exit(1);
}

/**
 * Run `main` (main.cjs's) as the CLI's common runs do, so that V8 has compiled what they need
 * before the code cache is made. A run that fails or hangs (no loopback where this builds) only
 * leaves its code out of the cache: the build goes on, and says so.
 */
async function warmUp(main) {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  await main(['--sockcat-build-warm-up'], {
    stdin: Readable.from([]),
    stdout: sink(),
    stderr: sink(),
    env: {},
  });
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-build-'));
  const byte = join(dir, 'byte');
  writeFileSync(byte, 'x');
  const server = createServer((socket) => socket.pipe(socket));
  const opened = [];
  const run = async (argv, stderr = sink()) => {
    const stdin = openSync(byte, 'r');
    const stdout = openSync('/dev/null', 'w');
    opened.push(stdin, stdout);
    return main(argv, {
      stdin: createReadStream('', { fd: stdin, autoClose: false }),
      stdout: sink(),
      stderr,
      env: {},
      fds: { stdin, stdout },
      signal: controller.signal,
    });
  };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const connected = await run(['127.0.0.1', String(server.address().port)]);
    // The listener says where it listens (-v) on its stderr; a client then sends it one byte.
    let said = '';
    let client;
    const stderr = new Writable({
      write(chunk, _encoding, done) {
        said += chunk;
        const port = /Listening on 127\.0\.0\.1:(\d+)/.exec(said)?.[1];
        if (port && !client) client = connect(Number(port), '127.0.0.1', () => client.end('x'));
        done();
      },
    });
    const listened = await run(['-v', '-l', '127.0.0.1', '0', '--recv-only'], stderr);
    client?.destroy();
    if (connected !== 0 || listened !== 0 || controller.signal.aborted) {
      console.error(
        `sockcat build: the code cache's warm-up runs ended ${connected}/${listened}` +
          `${controller.signal.aborted ? ' (timed out)' : ''}: the cache holds less`,
      );
    }
  } catch (error) {
    console.error(
      `sockcat build: the code cache's warm-up failed (${error.message}): the cache holds less`,
    );
  } finally {
    clearTimeout(timer);
    server.close();
    for (const fd of opened) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
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

// The native addon, when it is older than its sources (native/src/*, native/binding.gyp), rebuilt
// before the CLI's code cache is made (its warm-up runs the native data path): tests
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

// The CLI: dist/cli/sockcat.js (CommonJS) requires only Node built-ins up front and answers a
// lone --version itself; the rest of sockcat's code is in dist/cli/chunks/ (main.cjs for a
// session, help.cjs for a lone -h), loaded when the options ask for it. The chunks sit three
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
// What every CLI bundle shares: one CommonJS file for Node 20+, packages left to require().
// No keepNames: the class names are checked instead, below (scripts/class-names.mjs says why).
const CLI_BUNDLE = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
};
// A chunk that uses import.meta.url (the addon's and the docs' paths) gets this file's URL, as
// in an ES module.
const MODULE_URL = {
  define: { 'import.meta.url': '__sockcatModuleUrl' },
  banner: { js: 'const __sockcatModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
};
await esbuild.build({
  ...CLI_BUNDLE,
  ...MODULE_URL,
  stdin: {
    contents:
      "export { main } from './src/cli/run.ts';\n" +
      "export { interruptOn, TERMINATING_SIGNALS } from './src/cli/interrupt.ts';\n",
    resolveDir: root,
    sourcefile: 'cli-main.ts',
    loader: 'ts',
  },
  outfile: MAIN,
});
{
  const source = readFileSync(MAIN, 'utf8');
  const calls = source.match(/\bimport\(/g)?.length ?? 0;
  const rewritten = source.replace(/\bimport\(/g, '__sockcatImport(');
  if (/\bimport\(/.test(rewritten) || calls === 0)
    fail('main.cjs: the import() calls were not found');
  writeFileSync(MAIN, rewritten);
  // The cache: compile, run the module, then the work of the common runs: an argument parse, a
  // connect that sends a byte and reads its echo, and a listener that takes one connection, on
  // loopback (port 0), through the native data path when the addon is built (descriptors of a
  // file and /dev/null). Then ask V8 for everything compiled so far: what those runs compiled is
  // not compiled again at start-up (a connect's lazy compiles were ~25M instructions of the
  // ~120M sockcat added to `node -e 0`, callgrind).
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
  await warmUp(module.exports.main);
  writeFileSync(`${MAIN}.cache`, script.createCachedData());
}
// The entry, dist/cli/sockcat.js, is CommonJS too (dist/cli/package.json says so): Node starts
// a CommonJS main file without its ES module loader, which `node -e 0` does not load either (the
// loader, its async file reads and its fs/promises cost a --version 2x what sockcat's own code
// does). start.ts's import() of run.js and interrupt.js becomes the code below, which compiles
// main.cjs with its cache; its import() of help.js becomes a require() of chunks/help.cjs, the
// help text and what it needs, bundled on their own. Both stay lazy: esbuild wraps a module
// reached only by import() in an init function that runs at the import().
const mainLoader = {
  name: 'main-loader',
  setup(build) {
    build.onResolve({ filter: /^\.\/(run|interrupt|help)\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'cli', 'start.ts'))
        ? { path: args.path === './help.js' ? 'cli-help' : 'cli-main', namespace: 'main-loader' }
        : undefined,
    );
    build.onResolve({ filter: /^\.\/chunks\/help\.cjs$/ }, (args) => ({
      path: args.path,
      external: true,
    }));
    build.onLoad({ filter: /^cli-help$/, namespace: 'main-loader' }, () => ({
      contents: "export { helpText, installedDocs } from './chunks/help.cjs';\n",
      loader: 'js',
      resolveDir: join(root, 'src', 'cli'),
    }));
    build.onLoad({ filter: /^cli-main$/, namespace: 'main-loader' }, () => ({
      contents: `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
const file = join(__dirname, 'chunks', 'main.cjs');
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
  ...CLI_BUNDLE,
  plugins: [mainLoader],
  entryPoints: ['src/cli/bin.ts'],
  outfile: join(outdir, 'sockcat.js'),
});
await esbuild.build({
  ...CLI_BUNDLE,
  ...MODULE_URL,
  entryPoints: ['src/cli/help.ts'],
  outfile: join(outdir, 'chunks', 'help.cjs'),
});
{
  const known = sourceClassNames(join(root, 'src'));
  for (const file of [MAIN, join(outdir, 'sockcat.js'), join(outdir, 'chunks', 'help.cjs')]) {
    const renamed = renamedClasses(readFileSync(file, 'utf8'), known);
    if (renamed.length > 0) {
      console.error(
        `build: ${relative(root, file)} renames classes (${renamed.join(', ')}): give them names no other module uses, and do not name a class inside its own body`,
      );
      process.exit(1);
    }
  }
}
// Node reads the nearest package.json for a .js file's module type: this one, not the root's
// "type": "module".
writeFileSync(join(outdir, 'package.json'), '{\n  "type": "commonjs"\n}\n');
const bin = join(outdir, 'sockcat.js');
// The bin must stay executable across rebuilds: `npm link` points PATH straight at this file.
chmodSync(bin, 0o755);

// The man page, from the option table (the single source of the options).
const { manPage } = await import(pathToFileURL(join(root, 'dist/src/cli/man-page.js')).href);
const { VERSION } = await import(pathToFileURL(join(root, 'dist/src/version.js')).href);
mkdirSync(join(root, 'dist', 'man'), { recursive: true });
writeFileSync(join(root, 'dist', 'man', 'sockcat.1'), manPage(VERSION));
