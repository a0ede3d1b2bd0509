import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';
import { parsePin } from '../tls/pin.js';

/** What the --ssl* options asked for, as plain data (files are read when the run starts). */
export interface TlsCliOptions {
  /** --ssl-cert: the server's certificate (-l) or the client certificate (connect). */
  certFile: string | undefined;
  /** --ssl-key: the key for --ssl-cert. */
  keyFile: string | undefined;
  /** --ssl-verify: verify the server (connect), require and verify client certificates (-l). */
  verify: boolean;
  /** --ssl-trustfile: trusted certificates instead of the default roots. */
  trustFile: string | undefined;
  ciphers: string | undefined;
  servername: string | undefined;
  /** --ssl-alpn, split on commas. */
  alpn: string[] | undefined;
  /** --ssl-pin, as given (validated here). */
  pin: string | undefined;
  minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

type Values = Record<string, string | boolean | boolean[] | string[] | undefined>;

const TLS_FLAGS = [
  'ssl',
  'ssl-cert',
  'ssl-key',
  'ssl-verify',
  'ssl-trustfile',
  'ssl-ciphers',
  'ssl-servername',
  'ssl-alpn',
  'ssl-pin',
  'ssl-min-version',
] as const;

/** ALPN protocol names are 1 to 255 bytes (RFC 7301). */
const MAX_ALPN_NAME = 255;

/**
 * The TLS part of the command line, or undefined when no --ssl* option was given. As in ncat,
 * every --ssl-* option implies --ssl. Throws ArgumentError naming the flag and the value.
 */
export function parseTlsArgs(values: Values, listen: boolean): TlsCliOptions | undefined {
  const given = TLS_FLAGS.filter((flag) => values[flag] !== undefined && values[flag] !== false);
  if (given.length === 0) return undefined;
  const str = (name: string) => values[name] as string | undefined;
  const certFile = str('ssl-cert');
  const keyFile = str('ssl-key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ArgumentError(
      certFile === undefined ? '--ssl-key needs --ssl-cert' : '--ssl-cert needs --ssl-key',
    );
  }
  const servername = str('ssl-servername');
  if (servername !== undefined && listen) {
    throw new ArgumentError(
      '--ssl-servername sets the name a client asks for; it does not apply to -l',
    );
  }
  if (servername !== undefined && servername.trim() === '') {
    throw new ArgumentError('option --ssl-servername needs a name');
  }
  const alpnText = str('ssl-alpn');
  let alpn: string[] | undefined;
  if (alpnText !== undefined) {
    alpn = alpnText.split(',');
    for (const name of alpn) {
      const size = Buffer.byteLength(name);
      if (size === 0 || size > MAX_ALPN_NAME) {
        throw new ArgumentError(
          `invalid --ssl-alpn list ${quoteInput(alpnText)}: protocol names are 1 to 255 bytes, separated by commas`,
        );
      }
    }
  }
  const pin = str('ssl-pin');
  if (pin !== undefined) {
    try {
      parsePin(pin);
    } catch (error) {
      throw new ArgumentError(
        `invalid --ssl-pin ${quoteInput(pin)}: expected sha256: and 64 hex digits or 44 base64 characters`,
        { cause: error },
      );
    }
  }
  const minText = str('ssl-min-version');
  let minVersion: TlsCliOptions['minVersion'];
  if (minText !== undefined) {
    const normal = minText
      .trim()
      .toLowerCase()
      .replace(/^tlsv?/, '');
    if (normal === '1.2') minVersion = 'TLSv1.2';
    else if (normal === '1.3') minVersion = 'TLSv1.3';
    else {
      throw new ArgumentError(
        `invalid --ssl-min-version ${quoteInput(minText)} (use TLSv1.2 or TLSv1.3)`,
      );
    }
  }
  const ciphers = str('ssl-ciphers');
  if (ciphers !== undefined && ciphers.trim() === '') {
    throw new ArgumentError('option --ssl-ciphers needs a cipher list');
  }
  return {
    certFile,
    keyFile,
    verify: values['ssl-verify'] === true,
    trustFile: str('ssl-trustfile'),
    ciphers,
    servername,
    alpn,
    pin,
    minVersion,
  };
}
