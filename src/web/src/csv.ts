/**
 * CSV as RFC 4180 has it (CRLF lines, fields quoted when they hold a comma, quote or line
 * break), safe to open in a spreadsheet: a text cell starting with = + - @ or a tab is
 * prefixed with ' so Excel or LibreOffice does not run it as a formula (OWASP "CSV
 * injection"). Numbers are written as numbers, negative ones included.
 */
export type CsvCell = string | number | boolean | null | undefined;

function field(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}
