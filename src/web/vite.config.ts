import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The SOC console: built to dist/web, served by `lianfang serve`.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  build: { outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true },
  oxc: { jsx: { runtime: 'automatic' } },
});
