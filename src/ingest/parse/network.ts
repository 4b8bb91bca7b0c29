/** Network facts shared by the vendor mappings: protocol numbers and traffic direction. */
import { isIPv4 } from './ip.js';

/** IANA protocol number → `network.transport` name (the numbers devices log most). */
const TRANSPORTS: Record<string, string> = {
  '0': 'hopopt', '1': 'icmp', '2': 'igmp', '6': 'tcp', '8': 'egp', '17': 'udp', '47': 'gre', '50': 'esp', '51': 'ah',
  '58': 'ipv6-icmp', '89': 'ospf', '103': 'pim', '112': 'vrrp', '132': 'sctp',
};

export function transportOf(ianaNumber: string): string | undefined {
  return Object.hasOwn(TRANSPORTS, ianaNumber) ? TRANSPORTS[ianaNumber] : undefined;
}

/** RFC 1918, loopback, link-local, CGNAT, and the IPv6 equivalents (ULA, link-local, loopback). */
export function isPrivateIp(ip: string): boolean {
  if (isIPv4(ip)) {
    const dot = ip.indexOf('.');
    const a = Number(ip.slice(0, dot));
    const b = Number(ip.slice(dot + 1, ip.indexOf('.', dot + 1)));
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

/**
 * `network.direction` from the two addresses, as Elastic's network_direction processor does
 * with `internal_networks: [private]`.
 */
export function directionOf(sourceIp: string | undefined, destinationIp: string | undefined): string | undefined {
  if (!sourceIp || !destinationIp) return undefined;
  const sourceInternal = isPrivateIp(sourceIp);
  const destinationInternal = isPrivateIp(destinationIp);
  if (sourceInternal && destinationInternal) return 'internal';
  if (sourceInternal) return 'outbound';
  if (destinationInternal) return 'inbound';
  return 'external';
}
