import { sparklinePath } from '../sparkline.js';

/** A hand-drawn trend line: enough to see a spike or a stall, no chart library. */
export function Sparkline({ values, label, width = 240, height = 40 }: { values: readonly number[]; label: string; width?: number; height?: number }) {
  const d = sparklinePath(values, width, height);
  const last = values.at(-1);
  const max = values.length > 0 ? Math.max(...values) : 0;
  return (
    <svg className="sparkline" role="img" aria-label={`${label}: latest ${last ?? 0}, peak ${max} over ${values.length} samples`} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}
