import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AbortError,
  ArgumentError,
  ClosedError,
  ConnectError,
  ConnectionRefusedError,
  ConnectionResetError,
  EOFError,
  ExecError,
  ListenError,
  PermissionError,
  ProxyError,
  ProxyProtocolError,
  ResolveError,
  SockcatError,
  type SockcatErrorCode,
  TimeoutError,
  UnsupportedError,
} from '../src/errors.js';

// Type-level pins: each class's `code` is its literal, so `switch (error.code)` narrows.
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const pins: [
  Equals<ArgumentError['code'], 'SOCKCAT_ARGS'>,
  Equals<ResolveError['code'], 'SOCKCAT_RESOLVE'>,
  Equals<ConnectionRefusedError['code'], 'SOCKCAT_REFUSED'>,
  Equals<ConnectError['code'], 'SOCKCAT_CONNECT'>,
  Equals<ListenError['code'], 'SOCKCAT_LISTEN'>,
  Equals<TimeoutError['code'], 'SOCKCAT_TIMEOUT'>,
  Equals<AbortError['code'], 'SOCKCAT_ABORTED'>,
  Equals<EOFError['code'], 'SOCKCAT_EOF'>,
  Equals<ClosedError['code'], 'SOCKCAT_CLOSED'>,
  Equals<ConnectionResetError['code'], 'SOCKCAT_RESET'>,
  Equals<UnsupportedError['code'], 'SOCKCAT_UNSUPPORTED'>,
  Equals<ProxyProtocolError['code'], 'SOCKCAT_PROXY_PROTOCOL'>,
  Equals<ProxyError['code'], 'SOCKCAT_PROXY'>,
  Equals<ExecError['code'], 'SOCKCAT_EXEC'>,
  Equals<PermissionError['code'], 'SOCKCAT_PERMISSION'>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

test('every error class carries its literal code, its name and context', () => {
  assert.equal(pins.length, 15);
  const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const cases: Array<[SockcatError, SockcatErrorCode, string]> = [
    [new ArgumentError('bad'), 'SOCKCAT_ARGS', 'ArgumentError'],
    [new ResolveError('x'), 'SOCKCAT_RESOLVE', 'ResolveError'],
    [
      new ConnectionRefusedError('x', { cause, address: 'h', port: 1 }),
      'SOCKCAT_REFUSED',
      'ConnectionRefusedError',
    ],
    [new ConnectError('x'), 'SOCKCAT_CONNECT', 'ConnectError'],
    [new ListenError('x'), 'SOCKCAT_LISTEN', 'ListenError'],
    [new TimeoutError('x', 5), 'SOCKCAT_TIMEOUT', 'TimeoutError'],
    [new AbortError('x'), 'SOCKCAT_ABORTED', 'AbortError'],
    [new EOFError('x'), 'SOCKCAT_EOF', 'EOFError'],
    [new ClosedError('x'), 'SOCKCAT_CLOSED', 'ClosedError'],
    [new ConnectionResetError('x'), 'SOCKCAT_RESET', 'ConnectionResetError'],
    [new UnsupportedError('x'), 'SOCKCAT_UNSUPPORTED', 'UnsupportedError'],
    [new ProxyProtocolError('x'), 'SOCKCAT_PROXY_PROTOCOL', 'ProxyProtocolError'],
    [new ProxyError('x', '127.0.0.1:1080'), 'SOCKCAT_PROXY', 'ProxyError'],
    [new ExecError('x', 'cmd'), 'SOCKCAT_EXEC', 'ExecError'],
    [new PermissionError('x'), 'SOCKCAT_PERMISSION', 'PermissionError'],
  ];
  for (const [error, code, name] of cases) {
    assert.ok(error instanceof SockcatError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, code);
    assert.equal(error.name, name);
  }
  const refused = cases[2]![0];
  assert.equal(refused.cause, cause);
  assert.equal(refused.op, 'connect');
  assert.equal(refused.address, 'h');
  assert.equal(refused.port, 1);
  assert.deepEqual(new EOFError('x').buffered, Buffer.alloc(0));
});

test('instanceof holds across copies of sockcat (the bundled CLI and the package)', () => {
  // What another copy's classes look like: the same names, marked, their own prototypes.
  const copy = (() => {
    const brand = Symbol.for('sockcat.errorClass');
    class SockcatError extends Error {
      static [brand] = true;
    }
    class EOFError extends SockcatError {}
    return { EOFError };
  })();
  const fromCopy = new copy.EOFError('x');
  assert.equal(fromCopy instanceof EOFError, true);
  assert.equal(fromCopy instanceof SockcatError, true);
  assert.equal(fromCopy instanceof TimeoutError, false, 'another class of the same copy');
  class ClosedError extends Error {}
  assert.equal(new ClosedError() instanceof SockcatError, false, 'an unmarked class');
  assert.equal(new EOFError('a') instanceof TimeoutError, false);
});
