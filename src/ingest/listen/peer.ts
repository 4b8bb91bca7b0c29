/** `ip:port`; IPv4-mapped IPv6 addresses as plain IPv4, other IPv6 in brackets. */
export function formatPeer(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown';
  const ip = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}
