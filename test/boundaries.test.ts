import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

/**
 * The import rules of ARCHITECTURE.md, checked on the source:
 * 1. core/ imports nothing else of ours.
 * 2. store/* and bus/* import only core/ (and themselves).
 * 3. A capability imports core/, the store and bus ports, and other capabilities only
 *    through their index.ts.
 * 4. Only main.ts, server/ and cli/ import adapters (store/sqlite, store/postgres, bus/memory, bus/nats);
 *    so may tests (`*.test.ts`): each test is its own composition root over real parts.
 * 5. web/ imports only types.
 */
const SRC = resolve(new URL('../src', import.meta.url).pathname);
const SHELLS = new Set(['cli', 'server', 'main.ts']);
const ADAPTERS = ['store/sqlite', 'store/postgres', 'bus/memory', 'bus/nats'];

interface Import {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file (static, re-exports and dynamic), resolved to src-relative paths. */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    const target = relative(SRC, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
    out.push({ from: relative(SRC, file).split(sep).join('/'), to: target, typeOnly: Boolean(m[2]) });
  }
  return out;
}

function top(path: string): string {
  return path.split('/')[0]!;
}

function isPort(path: string): boolean {
  return path === 'store/index.ts' || path === 'bus/index.ts';
}

export function violation(imp: Import): string | null {
  const from = top(imp.from);
  const to = top(imp.to);
  if (imp.to.startsWith('..')) return 'imports from outside src/';
  if (from === to) return null;
  if (from === 'core') return 'core/ may import nothing else of ours';
  if (from === 'store' || from === 'bus') return to === 'core' ? null : `${from}/ may import only core/`;
  if (from === 'web') return imp.typeOnly ? null : 'web/ may import only types';
  if (ADAPTERS.some((a) => imp.to.startsWith(`${a}/`))) {
    return SHELLS.has(from) || imp.from.endsWith('.test.ts') ? null : 'only main.ts, server/ and cli/ may choose adapters';
  }
  if (to === 'core' || isPort(imp.to)) return null;
  if (SHELLS.has(from)) return imp.to === `${to}/index.ts` ? null : `${from} must use ${to}/index.ts`;
  return imp.to === `${to}/index.ts` ? null : `a capability may reach ${to}/ only through ${to}/index.ts`;
}

test('every import in src/ respects the boundaries of ARCHITECTURE.md', () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 20, 'the source tree was found');
  const bad: string[] = [];
  for (const f of files) {
    for (const imp of importsOf(f, readFileSync(f, 'utf8'))) {
      const why = violation(imp);
      if (why) bad.push(`${imp.from} → ${imp.to}: ${why}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the checker itself catches each kind of violation', () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    ['core/errors.ts', 'detect/index.ts', false, false],
    ['store/index.ts', 'detect/index.ts', false, false],
    ['detect/engine.ts', 'ingest/evtx/index.ts', false, false],
    ['detect/engine.ts', 'ingest/index.ts', false, true],
    ['detect/engine.ts', 'store/sqlite/index.ts', false, false],
    ['cli/main.ts', 'store/sqlite/index.ts', false, true],
    ['detect/live.test.ts', 'store/sqlite/index.ts', false, true],
    ['web/app.tsx', 'detect/index.ts', false, false],
    ['web/app.tsx', 'detect/index.ts', true, true],
    ['detect/hunt.ts', 'store/index.ts', false, true],
  ];
  for (const [from, to, typeOnly, ok] of cases) {
    assert.equal(violation({ from, to, typeOnly }) === null, ok, `${from} → ${to}`);
  }
});
