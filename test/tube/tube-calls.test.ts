// The pwntools-style calls beyond recv/recvUntil: line predicates, lists of delimiters, line
// batches, sendThen, encodings, newline, recvAll with a timeout, lines(), argument checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { Tube, type TubeOptions } from '../../src/tube/tube.js';
import { fakePeer } from '../helpers/fake-stream.js';

function setup(options: TubeOptions = {}) {
  const peer = fakePeer();
  const tube = new Tube(peer.stream, {
    ...options,
    remote: { address: '192.0.2.1', port: 7, family: 4 },
  });
  return { peer, tube };
}

const s = (buffer: Buffer) => buffer.toString('latin1');

test('recvUntil with a list stops at the first delimiter to appear', async () => {
  const { peer, tube } = setup();
  const first = tube.recvUntil(['> ', '$ ']);
  peer.send('login$');
  peer.send(' pass> ');
  assert.equal(s(await first), 'login$ ');
  assert.equal(s(await tube.recvUntil(['> ', 'pass'], { drop: true })), '');
  assert.equal(s(await tube.recvUntil([Buffer.from('>'), '> '])), '> ');
});

test('recvUntil split delimiter (1/2) and (2/2) across packets, with a list', async () => {
  const { peer, tube } = setup();
  const pending = tube.recvUntil(['END', 'STOP']);
  peer.send('abcST');
  peer.send('OP');
  assert.equal(s(await pending), 'abcSTOP');
});

test('recvLines takes n lines together, cancel-safely', async () => {
  const { peer, tube } = setup();
  peer.send('a\nb\n');
  await assert.rejects(tube.recvLines(3, { timeout: 5 }), { code: 'SOCKCAT_TIMEOUT' });
  peer.send('c\nd');
  assert.deepEqual((await tube.recvLines(3)).map(s), ['a\n', 'b\n', 'c\n']);
  peer.send('\n');
  assert.deepEqual((await tube.recvLines(1, { drop: true })).map(s), ['d']);
  assert.deepEqual(await tube.recvLines(0), []);
});

test('recvLineContains, StartsWith, EndsWith and recvLinePred skip the other lines', async () => {
  const { peer, tube } = setup();
  peer.send('noise\nflag{abc}\nmore noise\n>>> prompt\nvalue: 42 end\nlast\n');
  assert.equal(s(await tube.recvLineContains('flag{')), 'flag{abc}\n');
  assert.equal(s(await tube.recvLineStartsWith(['>>>', '$'], { drop: true })), '>>> prompt');
  assert.equal(s(await tube.recvLineEndsWith('end')), 'value: 42 end\n');
  assert.equal(s(await tube.recvLinePred((line) => line.length === 4, { drop: true })), 'last');
  peer.send('partial');
  await assert.rejects(tube.recvLineContains('x', { timeout: 5 }), { code: 'SOCKCAT_TIMEOUT' });
  assert.equal(tube.buffered, 'partial'.length);
  peer.end();
  await assert.rejects(tube.recvLineContains('x'), { code: 'SOCKCAT_EOF' });
});

test('recvPred returns the shortest prefix that satisfies the predicate', async () => {
  const { peer, tube } = setup();
  const pending = tube.recvPred((data) => data.includes(0x3a));
  peer.send('ab');
  peer.send('c:def');
  assert.equal(s(await pending), 'abc:');
  assert.equal(s(await tube.recv()), 'def');
});

test('sendLines, sendThen and sendLineThen', async () => {
  const { peer, tube } = setup();
  await tube.sendLines(['one', Buffer.from('two')]);
  const answer = tube.sendThen('ok', 'cmd');
  peer.send('ok');
  assert.equal(s(await answer), 'ok');
  const line = tube.sendLineThen('\n', 'again');
  peer.send('fine\n');
  assert.equal(s(await line), 'fine\n');
  assert.equal(s(peer.received()), 'one\ntwo\ncmdagain\n');
});

test("encoding 'latin1' sends one byte per character and refuses wider ones", async () => {
  const { peer, tube } = setup({ encoding: 'latin1' });
  await tube.send('\xff\x00A');
  assert.equal(peer.received().toString('hex'), 'ff0041');
  assert.throws(() => tube.send('你'), {
    code: 'SOCKCAT_ARGS',
    message:
      "send: character U+4F60 at index 0 does not fit in one byte (latin1); send a Buffer or use encoding 'utf8'",
  });
  peer.send(Buffer.from([0xfe, 0x0a]));
  assert.equal((await tube.recvUntil('\xfe')).toString('hex'), 'fe');
  const utf8 = setup();
  await utf8.tube.send('\xff');
  assert.equal(utf8.peer.received().toString('hex'), 'c3bf');
});

test("newline '\\r\\n' is what sendLine appends and what recvLine drops", async () => {
  const { peer, tube } = setup({ newline: '\r\n' });
  await tube.sendLine('HELO');
  assert.equal(s(peer.received()), 'HELO\r\n');
  peer.send('250 ok\r\nnext\r\n');
  assert.equal(s(await tube.recvLine({ drop: true })), '250 ok');
  assert.equal(s(await tube.recvLine()), 'next\r\n');
  assert.throws(() => new Tube(fakePeer().stream, { newline: '\r' as never }), ArgumentError);
});

test('recvAll with a timeout returns what arrived by then', async () => {
  const { peer, tube } = setup();
  peer.send('some ');
  peer.send('bytes');
  assert.equal(s(await tube.recvAll({ timeout: 20 })), 'some bytes');
  assert.equal(tube.buffered, 0);
  peer.send('rest');
  peer.end();
  assert.equal(s(await tube.recvAll({ timeout: 10_000 })), 'rest');
});

test('lines() yields each line without its newline, and a last unterminated one', async () => {
  const { peer, tube } = setup();
  peer.send('one\ntw');
  setImmediate(() => {
    peer.send('o\nthree');
    peer.end();
  });
  const lines: string[] = [];
  for await (const line of tube.lines()) lines.push(s(line));
  assert.deepEqual(lines, ['one', 'two', 'three']);
  const kept = setup();
  kept.peer.send('a\nb\n');
  kept.peer.end();
  const raw: string[] = [];
  for await (const line of kept.tube.lines({ drop: false })) raw.push(s(line));
  assert.deepEqual(raw, ['a\n', 'b\n']);
});

test('breaking out of lines() leaves the rest buffered', async () => {
  const { peer, tube } = setup();
  peer.send('a\nb\nc\n');
  for await (const line of tube.lines()) {
    assert.equal(s(line), 'a');
    break;
  }
  assert.equal(s(await tube.recvLine()), 'b\n');
});

test('every bad argument is an ArgumentError, thrown or rejected before any I/O', async () => {
  const { peer, tube } = setup();
  const cases: Array<[() => unknown, string]> = [
    [() => tube.sendLine(1234 as never), 'sendLine takes a string or bytes, not the number 1234'],
    [() => tube.send({} as never), 'send takes a string or bytes, not an object (Object)'],
    [() => tube.recvUntil([]), 'recvUntil needs at least one delimiter'],
    [() => tube.recvUntil(''), 'recvUntil: the delimiter is empty'],
    [() => tube.recvUntil([1] as never), 'recvUntil takes a string or bytes, not the number 1'],
    [() => tube.recvExactly(-1), 'recvExactly needs a count (an integer >= 0), not the number -1'],
    [
      () => tube.recvExactly('3' as never),
      'recvExactly needs a count (an integer >= 0), not a string',
    ],
    [() => tube.recv(1.5), 'recv needs a count (an integer >= 0), not the number 1.5'],
    [() => tube.recvLines(Number.NaN), 'recvLines needs a count (an integer >= 0), not NaN'],
    [() => tube.recvPred('x' as never), 'recvPred needs a function, not a string'],
    [() => tube.recvLineContains([]), 'recvLineContains needs at least one item'],
    [() => tube.sendLines('abc' as never), 'sendLines needs an array of lines, not a string'],
    [() => tube.recvRegex('x' as never), 'recvRegex needs a RegExp, not a string'],
    [() => tube.unrecv(5 as never), 'unrecv takes a string or bytes, not the number 5'],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (error: unknown) => {
      assert.ok(error instanceof ArgumentError, `${message}: got ${String(error)}`);
      assert.equal(error.message, message);
      return true;
    });
  }
  await assert.rejects(tube.recv(1, { timeout: -5 }), {
    code: 'SOCKCAT_ARGS',
    message: 'recv: timeout must be a number of milliseconds >= 0 (or Infinity), not the number -5',
  });
  await assert.rejects(tube.recvLine({ signal: 'x' as never }), {
    message: 'recvUntil "\\n": signal must be an AbortSignal, not a string',
  });
  assert.equal(peer.received().length, 0);
});
