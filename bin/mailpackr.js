#!/usr/bin/env node
// The operator CLI. It runs the compiled code: `npm run build` (or `npm start`) builds it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'dist',
  'apps',
  'api',
  'src',
  'cli',
  'mailpackr.cli.js',
);
if (!existsSync(entry)) {
  process.stderr.write('MailPackr is not built yet: run `npm run build` first.\n');
  process.exit(1);
}
await import(entry);
