// MergedOutput: several outputs pushed into one Readable, which ends when the last output ends and
// closes only once that end has been read and the source is gone (in either order); a full
// target pauses every output; outputs the owner pushes itself are counted with expect().
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { MergedOutput } from '../../src/tube/merged-output.js';

/** A target whose _read resumes the outputs, as ChildStream's and SshChannelStream's do. */
function merged(outputs: PassThrough[], highWaterMark = 16 * 1024) {
  const target = new Readable({
    highWaterMark,
    autoDestroy: false,
    read() {
      for (const output of outputs) output.resume();
    },
  });
  const output = new MergedOutput(target);
  output.attach(outputs);
  return { target, output };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

test("both outputs' data reaches the target, which ends only after the last output ends", async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const { target, output } = merged([stdout, stderr]);
  const chunks: string[] = [];
  target.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  let ended = false;
  target.on('end', () => {
    ended = true;
  });
  stdout.write('out ');
  stderr.write('err');
  // (A flowing PassThrough may hand a write on at once: wait for ends, which come on a later tick.)
  const stdoutEnded = once(stdout, 'end');
  stdout.end();
  await stdoutEnded;
  assert.equal(output.ended, false);
  assert.equal(ended, false);
  const targetEnded = once(target, 'end');
  stderr.end();
  await targetEnded;
  assert.equal(output.ended, true);
  assert.equal(chunks.join(''), 'out err');
});

test('closed once the end is read and the source is gone: source gone first', async () => {
  const stdout = new PassThrough();
  const { target, output } = merged([stdout]);
  output.sourceGone();
  assert.equal(target.destroyed, false, 'the output has not ended yet');
  stdout.end('last');
  assert.equal(await readAll(target), 'last');
  if (!target.destroyed) await once(target, 'close');
  assert.equal(target.destroyed, true);
});

test('closed once the end is read and the source is gone: output read first, source later', async () => {
  const stdout = new PassThrough();
  const { target, output } = merged([stdout]);
  stdout.end('all of it');
  assert.equal(await readAll(target), 'all of it');
  assert.equal(target.destroyed, false, 'the source is still there');
  output.sourceGone();
  assert.equal(target.destroyed, true);
});

test('an end not yet read holds the close back: the data is never lost to it', async () => {
  const stdout = new PassThrough();
  const { target, output } = merged([stdout]);
  stdout.end('unread');
  await once(stdout, 'end');
  output.sourceGone();
  assert.equal(target.destroyed, false, 'nobody has read the end yet');
  assert.equal(await readAll(target), 'unread');
  if (!target.destroyed) await once(target, 'close');
});

test("a full target pauses every output until it is read; the target's _read resumes them", async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const { target } = merged([stdout, stderr], 4);
  stdout.write(Buffer.alloc(8));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stdout.isPaused(), true);
  assert.equal(stderr.isPaused(), true);
  target.read();
  assert.equal(stdout.isPaused(), false);
  assert.equal(stderr.isPaused(), false);
  target.destroy();
});

test('expect(): an output the owner pushes itself (a pty) counts until it reports its end', async () => {
  const target = new Readable({ autoDestroy: false, read() {} });
  const output = new MergedOutput(target);
  output.expect(1);
  target.push('from the pty');
  output.sourceGone();
  assert.equal(target.destroyed, false);
  output.outputDone();
  assert.equal(output.ended, true);
  assert.equal(await readAll(target), 'from the pty');
  if (!target.destroyed) await once(target, 'close');
  // A second report changes nothing (the end was pushed once).
  output.outputDone();
});
