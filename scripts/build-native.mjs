#!/usr/bin/env node
// Build the optional native addon (native/) with node-gyp when a compiler is there. It is optional:
// a failed build prints why and what it costs, and never fails `npm install`.
// SOCKCAT_NO_NATIVE=1 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');

if (process.env.SOCKCAT_NO_NATIVE === '1') {
  console.log('sockcat: native addon skipped (SOCKCAT_NO_NATIVE=1)');
  process.exit(0);
}
if (process.platform !== 'linux') {
  console.log(`sockcat: native addon skipped: it targets Linux, this is ${process.platform}`);
  process.exit(0);
}

// npm names its bundled node-gyp in npm_config_node_gyp for lifecycle scripts; run by hand, look
// for the copy that ships with npm next to this node.
const candidates = [
  process.env.npm_config_node_gyp,
  join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  ),
];
const gypScript = candidates.find((path) => path && existsSync(path));
const [command, args] = gypScript
  ? [process.execPath, [gypScript, 'rebuild']]
  : ['node-gyp', ['rebuild']];
// Build against the headers installed with this node when there are some: no download needed.
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const result = spawnSync(command, args, { cwd: nativeDir, stdio: 'inherit' });
if (result.status === 0) {
  console.log('sockcat: native addon built (native/build/Release/sockcat_native.node)');
} else {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status}`;
  console.warn(
    `sockcat: native addon not built (${why}); threads with SO_REUSEPORT on Node < 22.12, raw ` +
      'and Unix datagram sockets will report "not available". Install g++ and make, then run ' +
      '`npm rebuild sockcat` or `node scripts/build-native.mjs`.',
  );
}
