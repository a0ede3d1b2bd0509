/**
 * `Proxy-Authenticate` challenges (RFC 9110 section 11): `Basic realm="x"`,
 * `Digest realm="r", nonce="n", qop="auth"`. Pure and bounded: a value is at most what the head
 * parser let through, and a malformed parameter ends that challenge's parameters.
 */

export interface AuthChallenge {
  /** Lower case: `basic`, `digest`, ... */
  scheme: string;
  /** Parameter names in lower case; quoted values unescaped. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Every challenge in the header values (one header may carry several, separated by commas).
 * Never throws; what cannot be read is skipped.
 */
export function parseChallenges(values: readonly string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    let rest = value;
    let current: AuthChallenge | undefined;
    for (;;) {
      rest = rest.replace(/^[\s,]+/, '');
      const token = TOKEN.exec(rest);
      if (!token) break;
      const after = rest.slice(token[0].length);
      const equals = /^\s*=\s*/.exec(after);
      if (equals && !after.slice(equals[0].length).startsWith('=')) {
        // name=value: a parameter of the current challenge.
        if (!current) break;
        const valueText = after.slice(equals[0].length);
        const read = readParamValue(valueText);
        if (read === undefined) break;
        current.params[token[0].toLowerCase()] = read.value;
        rest = valueText.slice(read.length);
        continue;
      }
      current = { scheme: token[0].toLowerCase(), params: {} };
      challenges.push(current);
      rest = after;
      // A token68 credential form (`Negotiate abc==`) is one word: skip it.
      const token68 = /^\s+[A-Za-z0-9\-._~+/]+=*\s*(?:,|$)/.exec(rest);
      if (token68) rest = rest.slice(token68[0].length);
    }
  }
  return challenges;
}

function readParamValue(text: string): { value: string; length: number } | undefined {
  if (text.startsWith('"')) {
    let value = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) {
        value += text[++i];
      } else if (c === '"') {
        return { value, length: i + 1 };
      } else {
        value += c;
      }
    }
    return undefined;
  }
  const token = TOKEN.exec(text);
  if (!token) return undefined;
  return { value: token[0], length: token[0].length };
}
