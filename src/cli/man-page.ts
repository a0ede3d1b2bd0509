import { OPTIONS, type OptionSpec } from './option-table.js';

/** Text as roff reads it literally: backslashes, hyphens, and a leading dot or quote escaped. */
export function roffText(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}

const bold = (text: string) => `\\fB${roffText(text)}\\fR`;
const italic = (text: string) => `\\fI${roffText(text)}\\fR`;

/** `\fB-c\fR, \fB--sh-exec\fR \fIcommand\fR`, or `\fB--json\fR[=\fIFILE\fR]`. */
function optionTag(spec: OptionSpec): string {
  const names: string[] = [];
  if (spec.short) names.push(bold(`-${spec.short}`));
  if (!spec.noLong) names.push(bold(`--${spec.name}`));
  let tag = names.join(', ');
  if (spec.value && spec.optionalValue) tag += `[=${italic(spec.value)}]`;
  else if (spec.value) tag += ` ${italic(spec.value)}`;
  return tag;
}

function optionBody(spec: OptionSpec): string {
  let body = roffText(spec.help);
  if (spec.choices) body += `. One of: ${spec.choices.map(bold).join(', ')}`;
  if (spec.status === 'refused') body += `. Not supported: ${roffText(spec.reason ?? '')}`;
  if (spec.status === 'planned') body += '. Not implemented yet (exit status 2)';
  return `${body}.`.replace(/\.\.$/, '.');
}

/** Paragraphs: `.PP` between them. */
const paragraphs = (...texts: string[]) => texts.map(roffText).join('\n.PP\n');

/** One `.TP` item per [tag, text] pair; tags and texts are roff already. */
const items = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([tag, text]) => `.TP\n${tag}\n${text}`).join('\n');

/** An example: what it does, then the command lines. */
function example(what: string, ...commands: string[]): string {
  return `.PP\n${roffText(what)}\n.PP\n.RS\n.nf\n${commands.map(roffText).join('\n')}\n.fi\n.RE`;
}

/** The sockcat(1) man page, in roff (man macros), generated from the option table. */
export function manPage(version: string): string {
  const options = items(OPTIONS.map((spec) => [optionTag(spec), optionBody(spec)]));
  return `.TH SOCKCAT 1 "" "sockcat ${roffText(version)}" "User Commands"
.SH NAME
sockcat \\- an ncat\\-compatible sockets tool: connect, listen, relay, proxy
.SH SYNOPSIS
${bold('sockcat')} [${italic('options')}] [${italic('hostname')}] [${italic('port')}]
.br
${bold('sockcat')} ${bold('-l')} [${italic('options')}] [${italic('address')}] [${italic('port')}]
.br
${bold('sockcat --dialect openbsd')} [${italic('nc options')}] [${italic('destination')}] [${italic('port')}]
.SH DESCRIPTION
${paragraphs(
  'sockcat reads and writes data across TCP, UDP and Unix domain sockets, with TLS, proxies, ' +
    "brokering and command execution. It accepts the options of Nmap's ncat; an option it cannot " +
    'honour in a mode is refused by name with exit status 2 before any socket opens.',
  'In connect mode (the default) sockcat connects to hostname and port and relays standard input ' +
    'to the connection and the connection to standard output. With -l it listens on port ' +
    '(default 31337) and relays the first client; with -k it serves every client at once.',
)}
.SH OPTIONS
Options taking a time assume seconds. Append ${bold('ms')}, ${bold('s')}, ${bold('m')} or ${bold('h')} for milliseconds, seconds, minutes or hours (for example ${bold('500ms')}).
A long option may be shortened to any unambiguous prefix.
An optional value, as in ${bold('--json')}[=${italic('FILE')}], is only given after ${bold('=')}: ${bold('--json ev.json')} would read ${italic('ev.json')} as the host.
${options}
.SH OPENBSD DIALECT
${paragraphs(
  'With --dialect openbsd, or when run under the name nc (a symlink), sockcat reads its command ' +
    "line as OpenBSD netcat (Debian's netcat-openbsd) does: bundled short options (-lvnp 4444), " +
    'options after the operands, whole seconds for -w, -i and -q, and no long options besides ' +
    '--dialect.',
  'The differences from the ncat dialect: end of file on standard input sends no FIN unless -N ' +
    '(or -q) is given; there is no connect timeout unless -w; -d, -i, -k (one client at a time), ' +
    "-q, -w, -x and -z have nc's meanings; -l without an address listens on IPv4 only. Runtime " +
    'failures exit 1, as in nc; usage errors exit 2.',
)}
.SH END OF FILE
${items([
  [
    'Standard input ends',
    roffText(
      'sockcat sends FIN and keeps printing what arrives; it exits 0 when the peer closes. ' +
        'With --no-shutdown no FIN is sent; with -q TIME it quits TIME after the end of input ' +
        '(-q 0: at once); with --send-only it exits at once.',
    ),
  ],
  [
    'The peer sends FIN',
    roffText(
      'Everything received is written to standard output. Listen mode then exits; connect mode ' +
        'sends the rest of a piped or file standard input first; on a terminal it exits at once.',
    ),
  ],
  [
    'The peer resets',
    roffText('One line on standard error ("connection ... reset"), exit status 1.'),
  ],
  [
    'Idle timeout (-i)',
    roffText('Nothing sent or received for TIME: "idle timeout expired", exit status 1.'),
  ],
  [
    'Standard output closes',
    roffText('(sockcat ... | head -c1) sockcat stops quietly with exit status 0.'),
  ],
  [
    'With -k',
    roffText(
      'End of standard input sends FIN to every connected client and accepting goes on; a ' +
        "client's FIN closes only that client.",
    ),
  ],
])}
.SH EXIT STATUS
${items([
  [
    bold('0'),
    roffText('The session ended normally, including a closed standard output; -h and --version.'),
  ],
  [
    bold('1'),
    roffText(
      'A network error: connection refused, reset, connect or idle timeout, unreachable network ' +
        'or host; also an internal error.',
    ),
  ],
  [
    bold('2'),
    roffText(
      'Anything else: a bad option or value, a host that cannot be resolved, a port that cannot ' +
        'be listened on, an option not supported in the mode asked for.',
    ),
  ],
  [bold('130'), roffText('Interrupted by SIGINT or SIGTERM.')],
])}
.PP
Every error is one line on standard error. With ${bold('--json')} on standard error, standard error carries NDJSON events only, and a failure is an ${bold('error')} event.
.SH ENVIRONMENT
${items([
  [
    bold('NCAT_PROXY_AUTH'),
    roffText('Proxy credentials user:pass when --proxy-auth is not given.'),
  ],
  [bold('SSLKEYLOGFILE'), roffText('With --ssl: append TLS session keys to this file.')],
  [
    bold('SOCKCAT_NO_NATIVE=1'),
    roffText(
      'Do not load the native addon (needed by -U -u, --seqpacket, -T, --ttl, -I and -O); ' +
        'those options then fail with a message saying so.',
    ),
  ],
  [
    bold('NODE_DEBUG=sockcat'),
    roffText('Print a stack trace after an error message, as -vvv does.'),
  ],
])}
.SH EXAMPLES
${[
  example(
    'Listen on port 4444 of the loopback address and print what one client sends:',
    'sockcat -l 127.0.0.1 4444',
  ),
  example(
    'Send a file to it, and exit once the listener has closed:',
    'sockcat 127.0.0.1 4444 < notes.txt',
  ),
  example(
    'An HTTP request over TLS:',
    "printf 'HEAD / HTTP/1.0\\r\\n\\r\\n' | sockcat --ssl example.com 443",
  ),
  example(
    'A TLS echo server for many clients, with a temporary certificate:',
    'sockcat -l -k --ssl 127.0.0.1 4443 -e /bin/cat',
  ),
  example(
    'Through a SOCKS5 proxy:',
    'sockcat --proxy 127.0.0.1:1080 --proxy-type socks5 example.com 80',
  ),
  example('Scan ports as OpenBSD netcat does:', 'sockcat --dialect openbsd -zv 127.0.0.1 20-25'),
  example('Events as NDJSON, appended to a file:', 'sockcat --json=events.json 127.0.0.1 4444'),
  example('Load completions into bash:', 'source <(sockcat --completions bash)'),
].join('\n')}
.SH SEE ALSO
${bold('ncat')}(1), ${bold('nc')}(1), ${bold('socat')}(1).
The package's docs/cli.md describes every option and message, docs/eof.md every end-of-file rule, and docs/library.md the library.
`;
}
