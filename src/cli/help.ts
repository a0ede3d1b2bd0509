import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTIONS, type OptionSpec } from './option-table.js';

/** Width of the help text: a terminal's 80 columns. */
const WIDTH = 80;
/** Column where each option's description starts. */
const HELP_COLUMN = 33;

/** Where the manual and the examples are, for the help's last lines. */
export interface DocLocations {
  /** The man page file beside the package (dist/man/sockcat.1), when there is one. */
  manPage?: string;
  /** docs/cli.md of the installed package, when there is one. */
  cliDoc?: string;
}

/**
 * The option as typed: `-c, --sh-exec <command>`, `-4`, `--json[=FILE]` (an optional value is only
 * given with `=`, as getopt_long's optional_argument).
 */
export function optionSyntax(spec: OptionSpec): string {
  const names: string[] = [];
  if (spec.short) names.push(`-${spec.short}`);
  if (!spec.noLong) names.push(`--${spec.name}`);
  let syntax = names.join(', ');
  if (spec.value && spec.optionalValue) syntax += `[=${spec.value}]`;
  else if (spec.value) syntax += ` <${spec.value}>`;
  return syntax;
}

/** Words of `text` in lines of at most `width` characters. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The --help text, generated from the option table; every line fits in 80 columns. */
export function helpText(version: string, where: DocLocations = {}): string {
  const lines = [
    `sockcat ${version} - an ncat-compatible sockets tool`,
    'Usage: sockcat [options] [hostname] [port]',
    '',
    "Options taking a time assume seconds. Append 'ms' for milliseconds,",
    "'s' for seconds, 'm' for minutes, or 'h' for hours (e.g. 500ms).",
  ];
  const indent = ' '.repeat(HELP_COLUMN);
  for (const spec of OPTIONS) {
    const syntax = `  ${optionSyntax(spec)}`;
    const note =
      spec.status === 'planned' ? ' (not yet)' : spec.status === 'refused' ? ' (unsupported)' : '';
    const help = wrapWords(`${spec.help}${note}`, WIDTH - HELP_COLUMN);
    if (syntax.length < HELP_COLUMN) {
      lines.push(`${syntax.padEnd(HELP_COLUMN)}${help[0] ?? ''}`.trimEnd());
    } else {
      lines.push(syntax, `${indent}${help[0] ?? ''}`);
    }
    for (const more of help.slice(1)) lines.push(`${indent}${more}`);
  }
  lines.push('', 'The manual, with end-of-file rules, exit statuses and examples: man sockcat');
  if (where.manPage) lines.push(...wrapWords(`(or man ${where.manPage})`, WIDTH));
  if (where.cliDoc) lines.push(...wrapWords(`Every option in detail: ${where.cliDoc}`, WIDTH));
  return `${lines.join('\n')}\n`;
}

/**
 * The man page and docs/cli.md of the package this module was loaded from. Both tsc's
 * dist/src/cli/help.js and the bundle's dist/cli/chunks/*.js are three levels below the package
 * root. The one-file binary has neither file beside it, and names neither.
 */
export function installedDocs(moduleUrl: string = import.meta.url): DocLocations {
  const where: DocLocations = {};
  try {
    const manPage = fileURLToPath(new URL('../../../dist/man/sockcat.1', moduleUrl));
    if (existsSync(manPage)) where.manPage = manPage;
    const cliDoc = fileURLToPath(new URL('../../../docs/cli.md', moduleUrl));
    if (existsSync(cliDoc)) where.cliDoc = cliDoc;
  } catch {
    // Not a file: URL (the one-file binary).
  }
  return where;
}
