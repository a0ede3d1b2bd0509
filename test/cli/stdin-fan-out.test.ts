// The one stdin fan-out of the many-peer modes (-l -k, --broker/--chat, -u -l -k): -C, the
// mode's split into messages, the flush and `ended` at stdin's end, -q, and --recv-only.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import type { Context } from '../../src/cli/context.js';
import { fanOutStdin } from '../../src/cli/modes/stdin-fan-out.js';

function contextFor(argv: string[]): { ctx: Context; stdin: PassThrough } {
  const stdin = new PassThrough();
  const log = { verbosity: 0, error() {}, info() {}, bare() {} };
  const ctx = { options: parseArgs([...argv, '-l', '-k', '9'], { env: {} }), io: { stdin }, log };
  return { ctx: ctx as unknown as Context, stdin };
}

test('each read goes through -C to deliver; at the end the split is flushed, then ended runs', async () => {
  const { ctx, stdin } = contextFor(['-C']);
  const seen: string[] = [];
  let held = '';
  let ended!: () => void;
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const input = fanOutStdin(ctx, {
    // A splitter that sends whole words and holds the rest until stdin's end.
    messages: (read) => {
      if (read === undefined) return held ? [Buffer.from(held)] : [];
      const words = (held + read.toString()).split(' ');
      held = words.pop() ?? '';
      return words.map((word) => Buffer.from(word));
    },
    deliver: (message) => {
      seen.push(message.toString());
    },
    ended: () => {
      seen.push('(ended)');
      ended();
    },
    quit: () => assert.fail('no -q given'),
  });
  assert.ok(input);
  stdin.write('one two\nthr');
  stdin.end('ee\n');
  await done;
  assert.deepEqual(seen, ['one', 'two\r\nthree\r\n', '(ended)']);
});

test('-q N: the run is told to quit N after stdin ends', async () => {
  const { ctx, stdin } = contextFor(['-q', '0.01']);
  const delivered: string[] = [];
  let quitAt = 0;
  const endedAt = performance.now();
  await new Promise<void>((resolve) => {
    fanOutStdin(ctx, {
      deliver: (message) => {
        delivered.push(message.toString());
      },
      quit: () => {
        quitAt = performance.now();
        resolve();
      },
    });
    stdin.end('last');
  });
  assert.deepEqual(delivered, ['last']);
  // The duration is the option under test: a lower bound only.
  assert.ok(quitAt - endedAt >= 9, `quit ${quitAt - endedAt} ms after the end`);
});

test('--recv-only: stdin is not read at all', () => {
  const { ctx, stdin } = contextFor(['--recv-only']);
  const input = fanOutStdin(ctx, {
    deliver: () => assert.fail('nothing is read'),
    quit: () => assert.fail('no -q given'),
  });
  assert.equal(input, undefined);
  assert.equal(stdin.listenerCount('data') + stdin.listenerCount('readable'), 0);
});
