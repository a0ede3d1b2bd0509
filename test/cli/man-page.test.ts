import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { manPage, roffText } from '../../src/cli/man-page.js';
import { OPTIONS } from '../../src/cli/option-table.js';
import { VERSION } from '../../src/version.js';
import { ROOT } from '../helpers/paths.js';
import { requirePeer } from '../helpers/peers.js';

test('roff escapes: hyphens, backslashes, a leading dot', () => {
  assert.equal(roffText('-l --x a\\b'), '\\-l \\-\\-x a\\eb');
  assert.equal(roffText(".x\n'y"), "\\&.x\n\\&'y");
});

test('the man page is generated from the option table, and the build installs it', () => {
  const page = manPage(VERSION);
  for (const spec of OPTIONS) {
    const name = spec.noLong ? `-${spec.short}` : `--${spec.name}`;
    assert.ok(page.includes(`\\fB${roffText(name)}\\fR`), name);
  }
  for (const section of ['OPENBSD DIALECT', 'END OF FILE', 'EXIT STATUS', 'EXAMPLES']) {
    assert.match(page, new RegExp(`^\\.SH ${section}$`, 'm'));
  }
  const built = readFileSync(join(ROOT, 'dist/man/sockcat.1'), 'utf8');
  assert.equal(built, page);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man: string[] };
  assert.deepEqual(pkg.man, ['dist/man/sockcat.1']);
});

test('man renders it without warnings', (t) => {
  const groff = requirePeer(t, 'groff');
  if (!groff) return;
  const result = spawnSync(groff, ['-man', '-Tutf8', '-ww', '-z'], {
    input: manPage(VERSION),
    encoding: 'utf8',
  });
  assert.equal(result.status, 0);
  assert.equal(result.stderr, '');
});
