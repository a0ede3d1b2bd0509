// Raw IP sockets: run as root inside network namespaces the tests create (never on the host's
// own network); the permission error is checked as an unprivileged user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/native/load.js';
import { finished, waitForLine } from '../helpers/child.js';
import { createNetnsPair } from '../helpers/netns.js';
import { EXAMPLES, ROOT } from '../helpers/paths.js';
import { requirePeer, which } from '../helpers/peers.js';

const skip = loadNative() ? false : 'the native addon is not built';
const PROBE = fileURLToPath(new URL('../fixtures/raw-probe.js', import.meta.url));

test('the ping example gets echo replies from the other namespace', { skip }, async (t) => {
  const pair = createNetnsPair(t);
  if (!pair) return;
  const child = pair.spawn(pair.a, process.execPath, [
    `${EXAMPLES}ping.js`,
    '-c',
    '3',
    '-i',
    '0.05',
    pair.addressB,
  ]);
  const { code, stdout } = await finished(child);
  const text = stdout.toString();
  assert.equal(code, 0, text);
  assert.match(
    text,
    new RegExp(`^PING ${pair.addressB} \\(${pair.addressB}\\) 56\\(84\\) bytes of data\\.$`, 'm'),
  );
  for (const sequence of [1, 2, 3]) {
    assert.match(
      text,
      new RegExp(
        `^64 bytes from ${pair.addressB.replaceAll('.', '\\.')}: icmp_seq=${sequence} ttl=64 time=[\\d.]+ ms$`,
        'm',
      ),
    );
  }
  assert.match(text, /^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/m);
  assert.match(text, /^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m);
});

test('the ping example prints what iputils ping prints, line for line', { skip }, async (t) => {
  const ping = requirePeer(t, 'ping');
  const pair = ping ? createNetnsPair(t) : undefined;
  if (!ping || !pair) return;
  const shape = (text: string) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/\d+(\.\d+)?/g, 'N'));
  const ours = await finished(
    pair.spawn(pair.a, process.execPath, [
      `${EXAMPLES}ping.js`,
      '-c',
      '2',
      '-i',
      '0.2',
      pair.addressB,
    ]),
  );
  const theirs = await finished(pair.spawn(pair.a, ping, ['-c', '2', '-i', '0.2', pair.addressB]));
  assert.equal(theirs.code, 0);
  assert.equal(ours.code, 0);
  assert.deepEqual(shape(ours.stdout.toString()), shape(theirs.stdout.toString()));
});

test('no reply: the ping example reports 100% loss and exits 1', { skip }, async (t) => {
  const pair = createNetnsPair(t);
  if (!pair) return;
  // An address on B's subnet that nobody has: ARP fails, no reply.
  const child = pair.spawn(pair.a, process.execPath, [
    `${EXAMPLES}ping.js`,
    '-c',
    '1',
    '-W',
    '0.3',
    pair.addressB.replace(/\d+$/, '77'),
  ]);
  const { code, stdout } = await finished(child);
  assert.equal(code, 1);
  assert.match(stdout.toString(), /1 packets transmitted, 0 received, 100% packet loss/);
});

test('raw-ip: a hand-built IPv4+UDP packet reaches a UDP listener in the other namespace', {
  skip,
}, async (t) => {
  const pair = createNetnsPair(t);
  if (!pair) return;
  const listener = pair.spawn(pair.b, process.execPath, [
    '-e',
    `const s = require('node:dgram').createSocket('udp4');
     s.on('message', (m, r) => { console.log(JSON.stringify({ data: m.toString(), from: r.address, port: r.port })); s.close(); });
     s.bind(9999, '${pair.addressB}', () => console.log('ready'));`,
  ]);
  t.after(() => listener.kill());
  await waitForLine(listener.stdout!, /ready/);
  const sender = await finished(
    pair.spawn(pair.a, process.execPath, [
      `${EXAMPLES}raw-ip.js`,
      '--source',
      pair.addressA,
      '--destination',
      pair.addressB,
      '--port',
      '9999',
      '--source-port',
      '4321',
      'built by hand',
    ]),
  );
  assert.equal(sender.code, 0, sender.stderr);
  const match = await waitForLine(listener.stdout!, /(\{.*\})/);
  assert.deepEqual(JSON.parse(match[1]!), {
    data: 'built by hand',
    from: pair.addressA,
    port: 4321,
  });
});

test('a raw socket with a protocol of its own: python3 receives what sockcat sends', {
  skip,
}, async (t) => {
  const python = requirePeer(t, 'python3');
  const pair = python ? createNetnsPair(t) : undefined;
  if (!python || !pair) return;
  // Protocol 253 is reserved for experiments (RFC 3692): nothing else uses it.
  const receiver = pair.spawn(pair.b, python, [
    '-c',
    `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
print('ready', flush=True)
data, addr = s.recvfrom(65535)
ihl = (data[0] & 15) * 4
print(addr[0], data[9], data[ihl:].decode(), flush=True)`,
  ]);
  t.after(() => receiver.kill());
  await waitForLine(receiver.stdout!, /ready/);
  const sender = await finished(
    pair.spawn(pair.a, process.execPath, [PROBE, 'send', pair.addressB, 'payload for 253']),
  );
  assert.equal(sender.code, 0, sender.stderr);
  await waitForLine(
    receiver.stdout!,
    new RegExp(`${pair.addressA.replaceAll('.', '\\.')} 253 payload for 253`),
  );
});

test('without root or CAP_NET_RAW: PermissionError saying what grants it', { skip }, async (t) => {
  if (process.getuid?.() !== 0 || !which('setpriv')) {
    t.skip('needs root and setpriv to run the probe as an unprivileged user');
    return;
  }
  const child = spawn('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--inh-caps=-all',
    process.execPath,
    worldReadableProbe(t),
    'open',
  ]);
  const { code, stdout } = await finished(child);
  assert.equal(code, 0);
  const result = JSON.parse(stdout.toString()) as { code: string; message: string };
  assert.equal(result.code, 'SOCKCAT_PERMISSION');
  assert.match(
    result.message,
    /^raw IPv4 socket \(protocol 1\) failed: Operation not permitted: raw sockets need root or the CAP_NET_RAW capability/,
  );
});

/**
 * The probe, the built library and the addon, copied into a folder every user can read, in the
 * same layout: the checkout itself may be in a private folder (mode 0700) that `nobody` cannot
 * enter.
 */
function worldReadableProbe(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-raw-probe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const copy = (path: string) => cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  copy('dist/src');
  copy('dist/test/fixtures/raw-probe.js');
  copy('native/build/Release/sockcat_native.node');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return join(dir, 'dist/test/fixtures/raw-probe.js');
}
