import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { pump } from '../../src/relay/stream-io.js';

test('pump: done waits for the write in progress when the source ends during it', async () => {
  const source = new PassThrough();
  const written: string[] = [];
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  let doneSettled = false;
  const running = pump(source, async (chunk) => {
    await blocked;
    written.push(chunk.toString());
  });
  running.done.then(() => {
    doneSettled = true;
  });
  source.end('last');
  // 'end' is emitted although the chunk is still being written; done must wait for it.
  await new Promise((resolve) => source.once('end', resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(doneSettled, false);
  release();
  await running.done;
  assert.deepEqual(written, ['last']);
});
