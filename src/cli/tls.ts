import { readFileSync } from 'node:fs';
import { formatHostPort } from '../address/host-port.js';
import { ArgumentError } from '../errors.js';
import type { TlsClientOptions, TlsInfo, TlsServerOptions } from '../tls/options.js';
import type { Tube } from '../tube/tube.js';
import type { Context } from './context.js';
import type { TlsCliOptions } from './tls-args.js';

/** Read a PEM file named by an option; a missing or unreadable file is a usage error (exit 2). */
function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ArgumentError(`cannot read ${flag} file ${JSON.stringify(path)}: ${reason}`);
  }
}

/** Options common to both sides, from the command line and SSLKEYLOGFILE. */
function commonOptions(tls: TlsCliOptions, ctx: Context): TlsClientOptions & TlsServerOptions {
  const options: TlsClientOptions & TlsServerOptions = {};
  if (tls.certFile !== undefined) options.cert = readPem(tls.certFile, '--ssl-cert');
  if (tls.keyFile !== undefined) options.key = readPem(tls.keyFile, '--ssl-key');
  if (tls.trustFile !== undefined) options.ca = readPem(tls.trustFile, '--ssl-trustfile');
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  if (tls.alpn !== undefined) options.alpn = tls.alpn;
  if (tls.pin !== undefined) options.pin = tls.pin;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  const keyLog = ctx.io.env['SSLKEYLOGFILE'];
  if (keyLog) options.keyLogFile = keyLog;
  // ncat's meaning: nothing is verified unless --ssl-verify (a pin is always checked).
  options.insecure = !tls.verify;
  return options;
}

/** The library's client options for `--ssl` in connect mode. */
export function clientTlsOptions(ctx: Context): TlsClientOptions | undefined {
  const tls = ctx.options.tls;
  if (!tls) return undefined;
  const options: TlsClientOptions = commonOptions(tls, ctx);
  if (tls.servername !== undefined) options.servername = tls.servername;
  return options;
}

/** The library's server options for `--ssl` with -l: --ssl-verify and --ssl-pin ask clients for certificates. */
export function serverTlsOptions(ctx: Context): TlsServerOptions | undefined {
  const tls = ctx.options.tls;
  if (!tls) return undefined;
  const options: TlsServerOptions = commonOptions(tls, ctx);
  if (tls.verify || tls.pin !== undefined) options.requestCert = true;
  const host = ctx.options.host;
  if (host !== undefined && !['localhost', '127.0.0.1', '::1', '0.0.0.0', '::'].includes(host)) {
    options.ephemeralNames = ['localhost', '127.0.0.1', '::1', host];
  }
  return options;
}

/**
 * serve()'s TLS options for a listener whose plan has the TLS security layer: one place for every
 * mode built on serve() (-l -k, --broker, --chat, the proxy servers), so that the acceptor wraps
 * whatever io runs. Empty (to spread) without --ssl. A client whose handshake fails is dropped
 * and reported at -v.
 */
export function serveTlsOptions(ctx: Context): {
  tls?: TlsServerOptions;
  onTlsError?: (error: Error) => void;
} {
  const options = serverTlsOptions(ctx);
  if (!options) return {};
  return { tls: options, onTlsError: (error) => reportTlsFailure(ctx, error) };
}

/** -v lines for a listener's certificate (ncat says it generates a key and shows a SHA-1). */
export function reportListenerTls(
  ctx: Context,
  tls: { fingerprint: string; ephemeral: boolean } | undefined,
): void {
  if (!tls) return;
  if (tls.ephemeral) {
    ctx.log.info(
      1,
      'Generated a temporary ECDSA P-256 certificate in memory. Use --ssl-cert and --ssl-key for a permanent one.',
    );
  }
  ctx.log.info(1, `SHA-256 fingerprint: ${tls.fingerprint}`);
}

/**
 * After a client handshake: the certificate at -v, and always, when it was not verified, its
 * fingerprint and a one-line warning (ncat prints nothing without -v).
 */
export function reportClientTls(ctx: Context, tube: Tube): void {
  const info = tube.tls;
  if (!info) return;
  const { log } = ctx;
  const peer = tube.remote ? formatHostPort(tube.remote.address, tube.remote.port) : 'peer';
  if (info.subject) log.info(1, `Subject: ${info.subject}`);
  if (info.issuer) log.info(1, `Issuer: ${info.issuer}`);
  log.info(1, `SSL connection to ${peer}; ${describeSession(info)}.`);
  if (!info.verified) {
    log.error(`SHA-256 fingerprint: ${info.fingerprint ?? 'none (no certificate)'}`);
    log.error(
      `warning: certificate not verified${info.verifyError ? ` (${info.verifyError})` : ''}; use --ssl-verify or --ssl-pin to check it`,
    );
  } else {
    log.info(1, `SHA-256 fingerprint: ${info.fingerprint ?? 'none'}`);
    log.info(1, 'Certificate verified.');
  }
}

/** -v line for an accepted TLS client. */
export function reportAcceptedTls(ctx: Context, tube: Tube): void {
  const info = tube.tls;
  if (!info) return;
  const client = info.fingerprint
    ? `; client certificate ${info.subject ?? ''} ${info.fingerprint}`
    : '';
  ctx.log.info(1, `SSL connection from ${peerOf(tube)}; ${describeSession(info)}${client}.`);
}

/** A failed handshake of a client in listen mode: dropped, reported at -v (ncat says nothing). */
export function reportTlsFailure(ctx: Context, error: Error): void {
  ctx.log.info(1, error.message);
}

/** host:port, a Unix socket's path, or "a Unix socket client" (Unix clients are unnamed). */
function peerOf(tube: Tube): string {
  if (tube.network === 'unix') return tube.remote?.address || 'a Unix socket client';
  return tube.remote ? formatHostPort(tube.remote.address, tube.remote.port) : 'peer';
}

function describeSession(info: TlsInfo): string {
  return `${info.protocol}, cipher ${info.cipher}${info.alpn ? `, ALPN ${info.alpn}` : ''}`;
}
