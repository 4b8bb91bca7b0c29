/** `source.ip=10.0.0.1` → ['source.ip', '10.0.0.1']; text without a field and a value is no field filter. */
export function fieldFilterOf(text: string): [string, string] | null {
  const at = text.indexOf('=');
  if (at <= 0) return null;
  const field = text.slice(0, at).trim();
  const value = text.slice(at + 1).trim();
  return field === '' || value === '' ? null : [field, value];
}
