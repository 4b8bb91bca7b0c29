import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files under `dir` whose names end in `ext`, sorted, so runs read the same order. */
export function filesUnder(dir: string, ext: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, ext, out);
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}
