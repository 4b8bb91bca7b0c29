import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ItemProblem } from './result.js';

/**
 * Files under the given files and folders, depth first in sorted order (so runs repeat),
 * skipping dot-files. `visit` sees each file with its stat and whether the user named it
 * directly; a path that cannot be read is reported, and the walk goes on.
 */
export function walkFiles(paths: readonly string[], visit: (path: string, st: Stats, named: boolean) => void): ItemProblem[] {
  const problems: ItemProblem[] = [];
  const walk = (path: string, named: boolean): void => {
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      problems.push({ where: path, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    if (!st.isDirectory()) {
      visit(path, st, named);
      return;
    }
    for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) walk(join(path, name), false);
  };
  for (const p of paths) walk(p, true);
  return problems;
}
