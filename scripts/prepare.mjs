#!/usr/bin/env node
// npm's `prepare`: build dist/ from the sources. npm runs it at `npm install` in a checkout, at
// `npm pack`/`npm publish`, and when a folder or a git checkout is installed (`npm install -g
// ./sockcat`, `npm link`, `npx ./sockcat`). In those last cases npm installs the folder's
// dependencies but not its devDependencies, which the build needs (typescript, esbuild): they are
// installed here first, into the folder's own node_modules, without running any scripts.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function hasBuildTools() {
  try {
    require.resolve('typescript/package.json');
    require.resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

if (!hasBuildTools()) {
  console.log('sockcat: installing the build tools (devDependencies) to build dist/');
  // The outer npm's settings reach scripts as npm_config_* variables; --global or --prefix among
  // them would send this install elsewhere. Keep only where packages come from.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('npm_') ||
        /^npm_config_(registry|cache|userconfig|@.*:registry|strict_ssl|cafile|proxy|https_proxy|noproxy)$/i.test(
          name,
        ),
    ),
  );
  const npm = process.env.npm_execpath;
  const [command, args] = npm
    ? [process.execPath, [npm]]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
  const result = spawnSync(
    command,
    [
      ...args,
      'install',
      '--include=dev',
      '--ignore-scripts',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--global=false',
    ],
    { cwd: root, env, stdio: 'inherit' },
  );
  if (result.status !== 0 || !hasBuildTools()) {
    const why = result.error ? result.error.message : `npm exited with ${result.status}`;
    console.error(
      `sockcat: cannot build dist/: installing typescript and esbuild failed (${why}); run \`npm install\` in ${root}, then install again`,
    );
    process.exit(1);
  }
}
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(build.status ?? 1);
