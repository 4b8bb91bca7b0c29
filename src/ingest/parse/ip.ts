/**
 * IP address checks for ECS `*.ip` fields (which must hold an address, not a host name) and
 * the RFC 5952 text form of IPv6, so `fe80:0000:…:0001` from Suricata and `fe80::1` from a
 * firewall compare equal, as they do in Elasticsearch's `ip` type.
 */

export function isIPv4(text: string): boolean {
  const length = text.length;
  if (length < 7 || length > 15) return false;
  let octets = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? 46 : text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255) return false;
      octets++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // no leading zeros: 010 is ambiguous (octal)
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return octets === 4;
}

/** The 8 groups of an IPv6 address (embedded IPv4 and a `%zone` allowed), or undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (address.length < 2 || address.length > 45) return undefined;
  const doubleColon = address.indexOf('::');
  if (doubleColon >= 0 && address.indexOf('::', doubleColon + 1) >= 0) return undefined;
  const head = doubleColon >= 0 ? address.slice(0, doubleColon) : address;
  const tail = doubleColon >= 0 ? address.slice(doubleColon + 2) : '';
  const headGroups = parseGroups(head, doubleColon < 0);
  const tailGroups = doubleColon >= 0 ? parseGroups(tail, true) : [];
  if (!headGroups || !tailGroups) return undefined;
  const present = headGroups.length + tailGroups.length;
  if (doubleColon < 0) return present === 8 ? headGroups : undefined;
  if (present > 7) return undefined;
  return [...headGroups, ...new Array<number>(8 - present).fill(0), ...tailGroups];
}

/** Groups separated by `:`; the last may be a dotted IPv4 address when `lastMayBeV4`. */
function parseGroups(text: string, lastMayBeV4: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1 && lastMayBeV4 && part.includes('.')) {
      if (!isIPv4(part)) return undefined;
      const o = part.split('.').map(Number);
      groups.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      continue;
    }
    if (part.length === 0 || part.length > 4) return undefined;
    let value = 0;
    for (let j = 0; j < part.length; j++) {
      const digit = hexValue(part.charCodeAt(j));
      if (digit < 0) return undefined;
      value = value * 16 + digit;
    }
    groups.push(value);
  }
  return groups;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

export function isIPv6(text: string): boolean {
  return text.includes(':') && ipv6Groups(text) !== undefined;
}

export function isIp(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/**
 * An address in its canonical text form (IPv6 per RFC 5952: lower case, no leading zeros,
 * the longest run of zero groups as `::`), or undefined when the text is not an address.
 */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!text.includes(':')) return undefined;
  const groups = ipv6Groups(text);
  if (!groups) return undefined;
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
