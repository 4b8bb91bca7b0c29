#!/usr/bin/env node
// The shipped binary runs the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('lianfang: dist/ is missing. Run `npm install` (or `npm run build`) in the project folder first.');
  process.exit(2);
}
await import(entry.href);
