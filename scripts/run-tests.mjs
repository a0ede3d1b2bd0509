#!/usr/bin/env node
// `npm test`: run every dist/test/**/*.test.js with Node's test runner. The files are listed here
// and passed by name, because a directory argument (`node --test dist/test`) is read differently
// by different Node versions (20 walks it; 22 and later take arguments as glob patterns).
//
//   node scripts/run-tests.mjs                  every test file
//   node scripts/run-tests.mjs cli interop      only files whose path under dist/test/ contains
//                                               one of the words
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = join(root, 'dist', 'test');

function testFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    console.error(`sockcat tests: ${relative(root, dir)} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.isFile() && entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const words = process.argv.slice(2);
const files = testFiles(testRoot)
  .map((path) => relative(root, path))
  .filter((path) => words.length === 0 || words.some((word) => path.includes(word)))
  .sort();
if (files.length === 0) {
  console.error(`sockcat tests: no test file matches ${words.join(' ')}`);
  process.exit(2);
}
// A test that hangs fails by name after five minutes (no test here takes a tenth of that, even
// under load), instead of holding the whole run until CI's own limit.
const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
