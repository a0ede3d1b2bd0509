import { createSecureContext } from 'node:tls';
import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';
import type { TlsCommonOptions } from './options.js';

/**
 * Why OpenSSL refused a certificate, key or cipher list, in words. OpenSSL's own text
 * (`error:0480006C:PEM routines::no start line`) stays on the error's `cause`.
 */
export function secureContextProblem(error: unknown, options: TlsCommonOptions): ArgumentError {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const reason = (error as { reason?: string } | undefined)?.reason;
  let text: string;
  if (code === 'ERR_SSL_NO_CIPHER_MATCH') {
    return new ArgumentError(
      `invalid TLS cipher list ${quoteInput(options.ciphers ?? '')}: no cipher matches it`,
      { cause: error },
    );
  }
  if (code === 'ERR_OSSL_PEM_NO_START_LINE') {
    text = 'the certificate is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)';
  } else if (code === 'ERR_OSSL_UNSUPPORTED' || code === 'ERR_OSSL_DECODER_UNSUPPORTED') {
    text =
      'the key is not a PEM private key (or it is encrypted, or of a type OpenSSL cannot read)';
  } else if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
    text = 'the key does not belong to the certificate';
  } else {
    text = reason ?? (error instanceof Error ? error.message : String(error));
  }
  return new ArgumentError(`cannot use the TLS certificate or key: ${text}`, { cause: error });
}

/**
 * Build a secure context from the options once, only to find out whether OpenSSL accepts them:
 * a client checks its certificate, key and cipher list before it connects anywhere.
 */
export function checkTlsOptions(options: TlsCommonOptions): void {
  if (options.cert === undefined && options.key === undefined && options.ciphers === undefined) {
    return;
  }
  try {
    createSecureContext({
      ...(options.cert !== undefined ? { cert: options.cert } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : {}),
    });
  } catch (error) {
    throw secureContextProblem(error, options);
  }
}
