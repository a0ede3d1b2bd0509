// The known_hosts parser and matcher (pure): plain and hashed names, wildcards, negation, ports,
// @revoked, and the lines ssh skips.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { hostKeyFingerprint, hostKeyType, parseFingerprint } from '../../src/ssh/host-key.js';
import {
  checkKnownHost,
  entryMatchesHost,
  knownHostsName,
  parseKnownHosts,
} from '../../src/ssh/known-hosts.js';

function blob(type: string, body: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(body)]);
}

const KEY_A = blob('ssh-ed25519', 'key a');
const KEY_B = blob('ssh-ed25519', 'key b');
const a = KEY_A.toString('base64');
const b = KEY_B.toString('base64');

test('knownHostsName: port 22 bare, other ports bracketed', () => {
  assert.equal(knownHostsName('Example.COM', 22), 'example.com');
  assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  assert.equal(knownHostsName('::1', 2222), '[::1]:2222');
});

test('plain entries: lists, wildcards and negation', () => {
  const [entry] = parseKnownHosts(`web?.example.com,*.internal,!bad.internal ssh-ed25519 ${a}\n`);
  assert.ok(entry);
  assert.equal(entryMatchesHost(entry, 'web1.example.com'), true);
  assert.equal(entryMatchesHost(entry, 'web12.example.com'), false);
  assert.equal(entryMatchesHost(entry, 'db.internal'), true);
  assert.equal(entryMatchesHost(entry, 'bad.internal'), false);
  assert.equal(entryMatchesHost(entry, 'example.com'), false);
});

test('hashed entries (HashKnownHosts) match the HMAC-SHA1 of the name', () => {
  const salt = Buffer.from('0123456789abcdefghij');
  const hash = createHmac('sha1', salt).update('[10.0.0.5]:2222').digest();
  const text = `|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${a}`;
  const entries = parseKnownHosts(text);
  assert.equal(checkKnownHost(entries, '[10.0.0.5]:2222', KEY_A).status, 'match');
  assert.equal(checkKnownHost(entries, '10.0.0.5', KEY_A).status, 'unknown');
});

test('verdicts: match, mismatch with the lines, unknown, revoked first', () => {
  const text = [
    '# comment',
    '',
    `host.example ssh-ed25519 ${b}`,
    'broken line',
    `@cert-authority *.example ssh-ed25519 ${a}`,
    `other.example ssh-ed25519 ${a}`,
  ].join('\n');
  const entries = parseKnownHosts(text);
  assert.equal(entries.length, 2);
  assert.deepEqual(checkKnownHost(entries, 'host.example', KEY_A), {
    status: 'mismatch',
    lines: [3],
  });
  assert.equal(checkKnownHost(entries, 'host.example', KEY_B).status, 'match');
  assert.equal(checkKnownHost(entries, 'new.example', KEY_A).status, 'unknown');
  const revoked = parseKnownHosts(`@revoked * ssh-ed25519 ${b}\nhost.example ssh-ed25519 ${b}\n`);
  assert.equal(checkKnownHost(revoked, 'host.example', KEY_B).status, 'revoked');
});

test('fingerprints: as ssh-keygen -l prints them; MD5 and junk refused', () => {
  assert.match(hostKeyFingerprint(KEY_A), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(hostKeyType(KEY_A), 'ssh-ed25519');
  assert.equal(hostKeyType(Buffer.from([0, 0])), '');
  const fingerprint = hostKeyFingerprint(KEY_A);
  assert.equal(parseFingerprint(`${fingerprint}=`), fingerprint);
  assert.throws(() => parseFingerprint('16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48'), /MD5/);
  assert.throws(() => parseFingerprint('SHA256:short'), /SHA-256 fingerprint/);
});
