/**
 * STIX and TAXII timestamps at one width (microseconds), so that text order is time order
 * in both databases: '2016-05-12T08:17:27Z' and '2016-05-12T08:17:27.000Z' are one version.
 */
const STIX_TS = /^(\d{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))(?:\.(\d+))?Z$/;

/** The sortable form, or undefined for text that is not a STIX timestamp. */
export function timestampKey(ts: string): string | undefined {
  const m = STIX_TS.exec(ts);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

let lastMicros = 0;

/**
 * The server's date_added: the clock at microsecond width, strictly increasing within this
 * process so that two objects added in one millisecond still order (and page) apart.
 */
export function nextDateAdded(now: Date): string {
  let us = now.getTime() * 1000;
  if (us <= lastMicros) us = lastMicros + 1;
  lastMicros = us;
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // …HH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, '0')}Z`;
}
