import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { type CompletionShell, completionScript } from '../../src/cli/completions.js';
import { finished, runCli } from '../helpers/child.js';
import { requirePeer } from '../helpers/peers.js';

/** A temp dir with the script for `shell` (as the built CLI prints it) and a file to complete. */
async function setUp(t: TestContext, shell: CompletionShell): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sockcat-completions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const printed = await runCli(['--completions', shell]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.equal(printed.stdout.toString(), completionScript(shell));
  writeFileSync(join(dir, 'script'), printed.stdout);
  writeFileSync(join(dir, 'certificate.pem'), '');
  return dir;
}

/** Run a shell's command line and collect stdout. */
async function shellOutput(command: string, args: string[], cwd: string): Promise<string> {
  const result = await finished(spawn(command, args, { cwd, stdio: 'pipe' }));
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.toString();
}

test('--completions takes bash, zsh or fish', () => {
  assert.equal(parseArgs(['--completions', 'zsh']).completions, 'zsh');
  assert.throws(() => parseArgs(['--completions', 'tcsh']), {
    code: 'SOCKCAT_ARGS',
    message: 'invalid --completions "tcsh" (use bash, zsh, fish)',
  });
});

test('bash: complete -p names the function; it offers options, values and files', async (t) => {
  const bash = requirePeer(t, 'bash');
  if (!bash) return;
  const dir = await setUp(t, 'bash');
  const complete = (words: string[]) =>
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sockcat; printf '%s\\n' "\${COMPREPLY[@]}"; echo --`;
  const out = await shellOutput(
    bash,
    [
      '-c',
      [
        'source ./script',
        'complete -p sockcat',
        complete(['sockcat', '--lis']),
        complete(['sockcat', '--proxy-type', 's']),
        complete(['sockcat', '--ssl-cert', 'cert']),
        complete(['sockcat', '--json', '=', 'cert']),
        complete(['sockcat', '-w', '']),
      ].join('\n'),
    ],
    dir,
  );
  assert.equal(
    out,
    [
      'complete -o default -F _sockcat sockcat',
      '--listen',
      '--',
      'socks4',
      'socks5',
      '--',
      'certificate.pem',
      '--',
      'certificate.pem',
      '--',
      // -w takes a time: nothing is offered (printf prints one empty line for no words).
      '',
      '--',
      '',
    ].join('\n'),
  );
});

test('zsh: compinit registers _sockcat, and a real completion lists the values', {
  timeout: 120_000,
}, async (t) => {
  const zsh = requirePeer(t, 'zsh');
  if (!zsh) return;
  const dir = await setUp(t, 'zsh');
  const registered = await shellOutput(
    zsh,
    [
      '-f',
      '-c',
      'autoload -U compinit; compinit -u -D; source ./script; print -r -- $_comps[sockcat]',
    ],
    dir,
  );
  assert.equal(registered, '_sockcat\n');
  // An interactive zsh on a pseudo-terminal (zpty), given "sockcat --dialect <TAB>": the listing
  // it draws holds both values. The read returns once "openbsd" has been drawn.
  const driver = [
    'zmodload zsh/zpty',
    "zpty z 'zsh -f -i'",
    `zpty -w z 'autoload -U compinit; compinit -u -D; source ${join(dir, 'script')}; PS1="%% "'`,
    "zpty -w -n z $'sockcat --dialect \\t'",
    "zpty -r z out '*openbsd*'",
    'print -r -- $out',
    'zpty -d z',
  ].join('\n');
  const child = spawn(zsh, ['-f', '-c', driver], { cwd: dir, stdio: 'pipe' });
  t.after(() => child.kill());
  const result = await finished(child);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout.toString(), /ncat +openbsd/);
});

test('fish: complete -C lists options, values and files', async (t) => {
  const fish = requirePeer(t, 'fish');
  if (!fish) return;
  const dir = await setUp(t, 'fish');
  const out = await shellOutput(
    fish,
    [
      '--no-config',
      '-c',
      [
        'source ./script',
        'complete -C"sockcat --proxy-t"',
        'complete -C"sockcat --proxy-type "',
        'complete -C"sockcat --ssl-key cert"',
      ].join('; '),
    ],
    dir,
  );
  assert.equal(
    out,
    [
      '--proxy-type\tSpecify proxy type ("http", "socks4", "socks5")',
      'http\tSpecify proxy type ("http", "socks4", "socks5")',
      'socks4\tSpecify proxy type ("http", "socks4", "socks5")',
      'socks5\tSpecify proxy type ("http", "socks4", "socks5")',
      'certificate.pem',
      '',
    ].join('\n'),
  );
});
