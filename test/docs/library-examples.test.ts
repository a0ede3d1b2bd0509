// Every ```js example of docs/library.md that is a complete script (not a fragment starting with
// `// …`) runs to completion here, as `node example.mjs` importing the package by name, unless
// the line before it says why it cannot (`<!-- illustrative: why -->`: a peer it waits for).
// Examples use fixed ports (4444, 7000) as a reader would, so each runs in a network namespace of
// its own, where nothing else listens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { finished, stop } from '../helpers/child.js';
import { fencedBlocks } from '../helpers/markdown.js';
import { ROOT } from '../helpers/paths.js';
import { which } from '../helpers/peers.js';

const canIsolate = process.getuid?.() === 0 && which('unshare') && which('ip');

describe('docs/library.md examples', () => {
  const blocks = fencedBlocks(readFileSync(join(ROOT, 'docs/library.md'), 'utf8'), 'js');
  for (const block of blocks) {
    const first = block.lines[0] ?? '';
    if (first.startsWith('// …')) continue;
    const name = `docs/library.md:${block.line}: ${first}`;
    if (block.illustrative !== undefined) {
      test(`${name} (illustrative: ${block.illustrative})`, () =>
        assert.ok(block.illustrative!.length > 3, 'says why it is not run'));
      continue;
    }
    test(name, { timeout: 120_000 }, async (t) => {
      if (!canIsolate) {
        // Fixed ports on the host's loopback could meet another program's; without root there
        // is no namespace of our own.
        if (process.env['SOCKCAT_REQUIRE_PEERS'] === '1') assert.fail('needs root, unshare and ip');
        t.skip('needs root, unshare and ip (a network namespace per example)');
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'sockcat-example-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules', 'sockcat'));
      writeFileSync(join(dir, 'example.mjs'), `${block.lines.join('\n')}\n`);
      const child = spawn(
        'unshare',
        ['--net', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" example.mjs`],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      t.after(() => stop(child));
      const result = await finished(child);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    });
  }
});
