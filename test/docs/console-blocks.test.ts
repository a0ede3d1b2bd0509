// Every ```console block of README.md and docs/cli.md is run here: each `$ command` line in bash
// (with `sockcat`, and `nc` as sockcat run under that name, on PATH), and what it prints
// (stdout and stderr together) must be the lines shown under it; a line `…` stands for any
// lines. A block that cannot run here (two terminals, a remote host) says so on the line before
// it: `<!-- illustrative: why -->`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { finished } from '../helpers/child.js';
import { fencedBlocks } from '../helpers/markdown.js';
import { BIN, ROOT } from '../helpers/paths.js';

interface Step {
  command: string;
  output: string[];
}

/** A console block's `$ command` lines, each with the lines shown under it. */
export function steps(lines: readonly string[]): Step[] {
  const found: Step[] = [];
  for (const line of lines) {
    if (line.startsWith('$ ')) found.push({ command: line.slice(2), output: [] });
    else found.at(-1)?.output.push(line);
  }
  return found;
}

/** `actual` lines against `expected`, where a `…` line matches any run of lines. */
function matches(actual: string[], expected: string[]): boolean {
  if (expected.length === 0) return actual.length === 0;
  const [first, ...rest] = expected;
  if (first === '…') {
    for (let skip = 0; skip <= actual.length; skip++) {
      if (matches(actual.slice(skip), rest)) return true;
    }
    return false;
  }
  return actual[0] === first && matches(actual.slice(1), rest);
}

const FILES = ['README.md', 'docs/cli.md'];

describe('console blocks of the docs', () => {
  for (const file of FILES) {
    for (const block of fencedBlocks(readFileSync(join(ROOT, file), 'utf8'), 'console')) {
      const shown = steps(block.lines);
      const name = `${file}:${block.line}: ${shown[0]?.command ?? '(empty)'}`;
      if (block.illustrative !== undefined) {
        test(`${name} (illustrative: ${block.illustrative})`, () =>
          assert.ok(block.illustrative!.length > 3, 'says why it is not run'));
        continue;
      }
      test(name, async (t) => {
        assert.ok(shown.length > 0, 'a block that runs has a $ line');
        const dir = mkdtempSync(join(tmpdir(), 'sockcat-docs-'));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        const bin = join(dir, 'bin');
        mkdirSync(bin);
        symlinkSync(BIN, join(bin, 'sockcat'));
        symlinkSync(BIN, join(bin, 'nc'));
        const env = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin` };
        for (const step of shown) {
          const run = await finished(
            spawn('bash', ['-c', `exec 2>&1\n${step.command}`], { cwd: dir, env, stdio: 'pipe' }),
          );
          const actual = run.stdout.toString().replace(/\n$/, '').split('\n');
          const expected = step.output;
          assert.ok(
            matches(actual, expected),
            `$ ${step.command}\nprinted:\n${actual.join('\n')}\ndocs show:\n${expected.join('\n')}`,
          );
        }
      });
    }
  }
});

test('fenced blocks, their illustrative marker, and the steps of a console block', () => {
  const text =
    '<!-- illustrative: two terminals -->\n```console\n$ a\nb\n```\n\n```console\n$ c\n$ d\ne\n```\n';
  assert.deepEqual(fencedBlocks(text, 'console'), [
    { line: 2, illustrative: 'two terminals', lines: ['$ a', 'b'] },
    { line: 7, illustrative: undefined, lines: ['$ c', '$ d', 'e'] },
  ]);
  assert.deepEqual(steps(['$ c', '$ d', 'e']), [
    { command: 'c', output: [] },
    { command: 'd', output: ['e'] },
  ]);
  assert.ok(matches(['a', 'b', 'c'], ['a', '…']));
  assert.ok(!matches(['a', 'b'], ['a']));
});
