// The build's check that the CLI bundles keep every class's name (scripts/class-names.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/paths.js';

interface ClassNames {
  sourceClassNames(dir: string): Set<string>;
  renamedClasses(bundle: string, known: Set<string>): string[];
}

const load = async (): Promise<ClassNames> =>
  (await import(pathToFileURL(join(ROOT, 'scripts', 'class-names.mjs')).href)) as ClassNames;

test('renamedClasses finds what esbuild renames, and nothing else', async () => {
  const { renamedClasses } = await load();
  const known = new Set(['Tube', 'ArgumentError', 'SockcatError', 'DatagramInbox']);
  const bundle = [
    '    Tube = class _Tube {',
    '    ArgumentError = class extends SockcatError {',
    '    DatagramInbox2 = class {',
    'class SockcatError extends Error {',
    'var text = "a class of its own";',
  ].join('\n');
  assert.deepEqual(renamedClasses(bundle, known).sort(), ['DatagramInbox2', '_Tube']);
  assert.deepEqual(renamedClasses('    Tube = class Tube {\n', known), []);
});

test('the built CLI bundles keep the names of sockcat classes (the build fails otherwise)', async () => {
  const { renamedClasses, sourceClassNames } = await load();
  const known = sourceClassNames(join(ROOT, 'src'));
  assert.ok(known.has('ArgumentError') && known.has('Tube') && known.has('TubeIterator'));
  const main = readFileSync(join(ROOT, 'dist', 'cli', 'chunks', 'main.cjs'), 'utf8');
  assert.deepEqual(renamedClasses(main, known), []);
  assert.match(main, /\bArgumentError = class extends SockcatError\b/);
  assert.doesNotMatch(main, /__name\(/, 'built without keepNames');
});
