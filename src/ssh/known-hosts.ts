/**
 * OpenSSH's known_hosts format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), parsed and matched. Pure:
 * the caller reads the file. Each line is `[marker] patterns keytype base64-key [comment]`:
 * patterns are a comma list with `*` and `?` wildcards and `!` negation, or one hashed entry
 * `|1|salt|hmac-sha1` (HashKnownHosts); a host on a port other than 22 is written `[host]:port`.
 * `@revoked` marks a key that must never be accepted; `@cert-authority` lines (host certificates)
 * are not supported and are skipped.
 */
import { createHmac } from 'node:crypto';

export interface KnownHostsEntry {
  /** 1-based line number, for messages. */
  line: number;
  revoked: boolean;
  /** The host patterns of a plain entry; empty for a hashed one. */
  patterns: readonly string[];
  /** A hashed entry's salt and HMAC-SHA1 of the host name; undefined for a plain one. */
  hashed: { salt: Buffer; hash: Buffer } | undefined;
  keyType: string;
  key: Buffer;
}

/** The entries of a known_hosts file. Lines that cannot be parsed are skipped, as ssh does. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const fields = (lines[index] ?? '').trim().split(/[ \t]+/);
    if (fields[0] === '' || fields[0]?.startsWith('#')) continue;
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] !== '@revoked') continue;
      revoked = true;
      fields.shift();
    }
    const [hosts, keyType, keyText] = fields;
    if (hosts === undefined || keyType === undefined || keyText === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) continue;
    const key = Buffer.from(keyText, 'base64');
    let hashed: KnownHostsEntry['hashed'];
    let patterns: string[] = [];
    if (hosts.startsWith('|1|')) {
      const [salt, hash] = hosts.slice(3).split('|');
      if (salt === undefined || hash === undefined) continue;
      hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      patterns = hosts.split(',').filter((pattern) => pattern !== '');
    }
    entries.push({ line: index + 1, revoked, patterns, hashed, keyType, key });
  }
  return entries;
}

/** The name a host has in known_hosts: `host` on port 22, `[host]:port` on any other. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

function wildcard(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/** Whether an entry names the host (`name` as knownHostsName gives it). */
export function entryMatchesHost(entry: KnownHostsEntry, name: string): boolean {
  if (entry.hashed) {
    const hash = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return hash.equals(entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('!')) {
      if (wildcard(pattern.slice(1), name)) return false;
    } else if (wildcard(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export type KnownHostsVerdict =
  /** An entry for the host has this key. */
  | { status: 'match'; entry: KnownHostsEntry }
  /** The key is marked @revoked (for any host). */
  | { status: 'revoked'; entry: KnownHostsEntry }
  /** The host is known with other keys: the lines that name it. */
  | { status: 'mismatch'; lines: number[] }
  /** No entry names the host. */
  | { status: 'unknown' };

/** What the entries say about `keyBlob` offered by the host (`name` from knownHostsName). */
export function checkKnownHost(
  entries: readonly KnownHostsEntry[],
  name: string,
  keyBlob: Uint8Array,
): KnownHostsVerdict {
  const key = Buffer.from(keyBlob.buffer, keyBlob.byteOffset, keyBlob.byteLength);
  for (const entry of entries) {
    if (entry.revoked && entry.key.equals(key)) return { status: 'revoked', entry };
  }
  const lines: number[] = [];
  for (const entry of entries) {
    if (entry.revoked || !entryMatchesHost(entry, name)) continue;
    if (entry.key.equals(key)) return { status: 'match', entry };
    lines.push(entry.line);
  }
  return lines.length > 0 ? { status: 'mismatch', lines } : { status: 'unknown' };
}
