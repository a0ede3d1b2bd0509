import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { interactive } from '../../src/relay/interactive.js';
import { Tube } from '../../src/tube/tube.js';
import { fakePeer } from '../helpers/fake-stream.js';

test('interactive() relays given stdin/stdout with the EOF rules', async () => {
  const peer = fakePeer();
  const tube = new Tube(peer.stream, { remote: { address: '192.0.2.1', port: 7, family: 4 } });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const done = interactive(tube, { stdin, stdout });
  const sentAll = once(peer.stream, 'finish');
  stdin.end('typed\n');
  await sentAll;
  peer.send('shown\n');
  peer.end();
  const result = await done;
  assert.equal(result.end, 'peer-eof');
  assert.equal(Buffer.concat(out).toString(), 'shown\n');
  assert.equal(peer.received().toString(), 'typed\n');
});
