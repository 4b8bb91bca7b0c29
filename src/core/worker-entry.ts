/**
 * Where a worker thread's code is: the compiled `.js` beside the caller, or, when running
 * from TypeScript sources (tests, benches), the `.ts` through tsx's loader, which worker
 * threads do not inherit on Node 20.
 *
 * @param from the caller's `import.meta.url`
 * @param name the worker module's base name beside it, without extension (`./detect-worker`)
 */
export function workerEntry(from: string, name: string): { url: URL; data: Record<string, unknown> } {
  const self = new URL(from);
  if (self.pathname.endsWith('.ts')) {
    return { url: new URL('../'.repeat(depthBelowRoot(self)) + 'scripts/tsx-worker.mjs', self), data: { entry: new URL(`${name}.ts`, self).href } };
  }
  return { url: new URL(`${name}.js`, self), data: {} };
}

/** Folders between the caller and the repository root (`src/a/b.ts` → 2). */
function depthBelowRoot(self: URL): number {
  const parts = self.pathname.split('/');
  const src = parts.lastIndexOf('src');
  if (src < 0) throw new Error(`worker caller ${self.pathname} is not under src/`);
  return parts.length - src - 1;
}
