import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { describeBytes, pwnHexdump, pythonBytesRepr } from '../../src/tube/debug-log.js';
import { Tube } from '../../src/tube/tube.js';
import { fakePeer } from '../helpers/fake-stream.js';
import { ROOT } from '../helpers/paths.js';

test('Python bytes literals, as repr() writes them', () => {
  assert.equal(pythonBytesRepr(Buffer.from('hello\n')), "b'hello\\n'");
  assert.equal(pythonBytesRepr(Buffer.from("it's")), `b"it's"`);
  assert.equal(pythonBytesRepr(Buffer.from(`'"`)), `b'\\'"'`);
  assert.equal(
    pythonBytesRepr(Buffer.from([0, 0x7f, 0xff, 0x5c, 0x0d, 0x09])),
    "b'\\x00\\x7f\\xff\\\\\\r\\t'",
  );
});

test("pwntools' hexdump layout: groups of four, a │ column, * for repeats, the length last", () => {
  const data = Buffer.concat([Buffer.alloc(32, 0x41), Buffer.from('BB\n\x00')]);
  assert.deepEqual(pwnHexdump(data), [
    '00000000  41 41 41 41  41 41 41 41  41 41 41 41  41 41 41 41  │AAAA│AAAA│AAAA│AAAA│',
    '*',
    '00000020  42 42 0a 00                                         │BB··│',
    '00000024',
  ]);
});

test('a run of one byte, printable lines, else a hexdump', () => {
  assert.deepEqual(describeBytes(Buffer.alloc(0x20, 0x41)), ["b'A' * 0x20"]);
  assert.deepEqual(describeBytes(Buffer.from('one\ntwo\r\nthree')), [
    "b'one\\n'",
    "b'two\\r\\n'",
    "b'three'",
  ]);
  assert.equal(describeBytes(Buffer.from([1, 2])).length, 2);
});

test("log: a sink gets pwntools' DEBUG lines for every send and receive", async () => {
  const peer = fakePeer();
  let text = '';
  const tube = new Tube(peer.stream, { log: { write: (chunk: string) => (text += chunk) } });
  await tube.sendLine('hello');
  peer.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  await tube.recvExactly(4);
  assert.equal(
    text,
    "[DEBUG] Sent 0x6 bytes:\n    b'hello\\n'\n" +
      '[DEBUG] Received 0x4 bytes:\n' +
      '    00000000  de ad be ef                                         │····│\n' +
      '    00000004\n',
  );
});

test('SOCKCAT_DEBUG=1 turns the log on for a script, to stderr; off otherwise', async () => {
  const script = `
    import { spawn } from 'sockcat';
    const p = spawn('cat');
    await p.sendLine('ping');
    await p.recvLine();
    await p.close();
  `;
  const run = async (env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // 'close', not 'exit': 'exit' can come before the last of stderr has been read from its pipe.
    const [code] = await once(child, 'close');
    return { code, stderr };
  };
  const on = await run({ SOCKCAT_DEBUG: '1' });
  assert.equal(on.code, 0);
  assert.equal(
    on.stderr,
    "[DEBUG] Sent 0x5 bytes:\n    b'ping\\n'\n[DEBUG] Received 0x5 bytes:\n    b'ping\\n'\n",
  );
  const off = await run({ SOCKCAT_DEBUG: '' });
  assert.equal(off.stderr, '');
});
