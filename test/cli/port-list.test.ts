import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePortList } from '../../src/cli/port-list.js';
import { ArgumentError } from '../../src/errors.js';

test('lists and ranges, in order, without duplicates', () => {
  assert.deepEqual(parsePortList('20-23,80,443,21'), [20, 21, 22, 23, 80, 443]);
  assert.deepEqual(parsePortList('65535'), [65535]);
  assert.equal(parsePortList('1-65535').length, 65535);
});

test('bad lists name the problem', () => {
  const cases: Array<[string, string]> = [
    ['30-20', 'invalid port range "30-20": 30 is above 20'],
    ['80,,81', 'invalid port list "80,,81": empty item'],
    ['0-10', 'invalid port list "0-10": port 0 cannot be scanned'],
    ['1-70000', 'port 70000 is out of range (0-65535)'],
    ['http', 'invalid port "http"'],
    [
      '-5',
      'invalid port range "-5": the first port missing (write a range as LOW-HIGH, e.g. 20-25)',
    ],
    [
      '1-',
      'invalid port range "1-": the last port missing (write a range as LOW-HIGH, e.g. 20-25)',
    ],
    ['-', 'invalid port range "-": both ports missing (write a range as LOW-HIGH, e.g. 20-25)'],
    [' 80', 'invalid port " 80"'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parsePortList(input), { code: 'SOCKCAT_ARGS', message }, input);
  }
});

test('any string parses to valid ports or throws ArgumentError', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 20, unit: fc.constantFrom('1', '2', '0', '9', '-', ',', ' ', 'x') }),
      (text) => {
        try {
          for (const port of parsePortList(text)) assert.ok(port >= 1 && port <= 65535);
        } catch (error) {
          assert.ok(error instanceof ArgumentError, String(error));
        }
      },
    ),
  );
});
