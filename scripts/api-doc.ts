/**
 * `npm run docs:api`: writes docs/api.md from the admin API's route specs (src/admin/api-doc.ts).
 * `--check` exits 1 when the file is out of date instead of writing it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderApiDoc } from '../src/admin/api-doc.js';

const path = fileURLToPath(new URL('../../docs/api.md', import.meta.url));
const text = renderApiDoc();
if (process.argv.includes('--check')) {
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* missing */
  }
  if (old !== text) {
    process.stderr.write(`${path} is out of date: run npm run docs:api\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
}
