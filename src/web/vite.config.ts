import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The SOC console: built to dist/web, served by `lianfang serve`.
const here = fileURLToPath(new URL('.', import.meta.url));
// `npx vite --config src/web/vite.config.ts` serves the console with hot reload and sends API
// calls to a running `lianfang serve` (default http://127.0.0.1:8080).
const api = process.env.LIANFANG_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here,
  base: '/',
  build: { outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true },
  oxc: { jsx: { runtime: 'automatic' } },
  server: { proxy: { '/api': api, '/openapi.json': api, '/metrics': api, '/taxii2': api } },
});
