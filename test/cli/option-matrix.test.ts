// The option × mode matrix: every option of the table in every mode is honoured, refused by name
// (exit 2 before any socket opens), or warned about by name; docs/cli.md's table is this matrix.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MATRIX_MODES, matrixCell, renderMatrixTable } from '../../src/cli/option-matrix.js';
import { flagNames, OPTIONS } from '../../src/cli/option-table.js';
import { ROOT } from '../helpers/paths.js';

/** Options a refusal may name instead: the option given implies it (or is one of its family). */
const IMPLIED: Readonly<Record<string, string[]>> = {
  allowfile: ['--allow'],
  denyfile: ['--deny'],
  broker: ['-l'],
  chat: ['-l', '--broker'],
  'ssl-cert': ['--ssl'],
  'ssl-key': ['--ssl', '--ssl-cert'],
  'ssl-verify': ['--ssl'],
  'ssl-trustfile': ['--ssl'],
  'ssl-ciphers': ['--ssl'],
  'ssl-servername': ['--ssl'],
  'ssl-alpn': ['--ssl'],
  'ssl-pin': ['--ssl'],
  'ssl-min-version': ['--ssl'],
  'retry-delay': ['--retry'],
};

test('every option in every mode: honoured, refused by name, or warned about by name', () => {
  for (const spec of OPTIONS) {
    const names = [...flagNames(spec).split(', '), ...(IMPLIED[spec.name] ?? [])];
    for (const mode of MATRIX_MODES) {
      const cell = matrixCell(spec, mode);
      if (cell.outcome === 'honoured') continue;
      const where = `${flagNames(spec)} in ${mode.name}`;
      assert.ok(
        names.some((name) => cell.message!.includes(name)),
        `${where}: "${cell.message}" does not name the option`,
      );
      assert.doesNotMatch(cell.message!, /\n/, `${where}: one line`);
      if (cell.outcome === 'warned') {
        assert.match(cell.message!, /^warning: .* has no effect with .*; ignored$/, where);
      }
    }
  }
});

test('docs/cli.md has the matrix as rendered from the option table and the plan', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const start = doc.indexOf('<!-- option-matrix:start -->');
  const end = doc.indexOf('<!-- option-matrix:end -->');
  assert.ok(start !== -1 && end > start, 'docs/cli.md has the option-matrix markers');
  const inDoc = doc.slice(start + '<!-- option-matrix:start -->'.length, end).trim();
  assert.equal(
    inDoc,
    renderMatrixTable(),
    'docs/cli.md is out of date: run `npm run build && node scripts/option-matrix.mjs`',
  );
});
