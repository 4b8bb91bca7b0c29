import type { AgedIndicator, SectorAlert } from '../api/types.js';

/** Sector alerts, the most recently sighted first (then the most recently widened). */
export function newestFirst(alerts: readonly SectorAlert[]): SectorAlert[] {
  return [...alerts].sort((a, b) => b.last_seen.localeCompare(a.last_seen) || b.updated_at.localeCompare(a.updated_at));
}

/** Indicators whose name, pattern or id contain every word typed (any case), highest score first. */
export function filterIndicators(items: readonly AgedIndicator[], text: string): AgedIndicator[] {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w !== '');
  const hit = (i: AgedIndicator): boolean => {
    const hay = `${i.name}\n${i.pattern}\n${i.id}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  };
  return items.filter(hit).sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** A score's band, for its bar's colour (the number is always shown too). */
export function scoreBand(score: number): 'high' | 'medium' | 'low' {
  return score >= 70 ? 'high' : score >= 40 ? 'medium' : 'low';
}
