/** Points of a sparkline as an SVG path: oldest left, newest right, the highest value at the top. */
export function sparklinePath(values: readonly number[], width: number, height: number, pad = 1): string {
  const clean = values.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  if (clean.length === 0) return '';
  const max = Math.max(...clean);
  const inner = height - 2 * pad;
  const y = (v: number): number => (max === 0 ? height - pad : height - pad - (v / max) * inner);
  if (clean.length === 1) return `M0 ${round(y(clean[0]!))} L${width} ${round(y(clean[0]!))}`;
  const step = width / (clean.length - 1);
  return clean.map((v, i) => `${i === 0 ? 'M' : 'L'}${round(i * step)} ${round(y(v))}`).join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Keeps the newest `size` samples. */
export function pushSample(samples: readonly number[], value: number, size: number): number[] {
  const next = [...samples, value];
  return next.length > size ? next.slice(next.length - size) : next;
}
