/** IP literal checks without node:net, so that address/ stays pure. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/** RFC 4291 text forms, with `::` compression, an embedded IPv4 tail and a `%zone` suffix. */
export function isIPv6(text: string): boolean {
  const percent = text.indexOf('%');
  let address = text;
  if (percent !== -1) {
    const zone = text.slice(percent + 1);
    if (zone.length === 0 || !/^[\w.-]+$/.test(zone)) return false;
    address = text.slice(0, percent);
  }
  let groups = 8;
  const lastColon = address.lastIndexOf(':');
  if (lastColon !== -1 && address.includes('.', lastColon)) {
    if (!isIPv4(address.slice(lastColon + 1))) return false;
    address = `${address.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const parts = (half: string | undefined): string[] | null => {
    if (half === undefined || half === '') return [];
    const hextets = half.split(':');
    return hextets.every((h) => HEXTET.test(h)) ? hextets : null;
  };
  const head = parts(halves[0]);
  if (halves.length === 1) return head !== null && head.length === groups;
  const tail = parts(halves[1]);
  return head !== null && tail !== null && head.length + tail.length < groups;
}

/** 4, 6, or 0 when the text is not an IP literal (a host name). */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return 0;
}
