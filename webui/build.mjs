#!/usr/bin/env node
// `npm run build:webui`: bundles the admin page into webui/dist, which the admin server serves
// (@fastify/static, src/admin/server.ts). One script (app.js) and one stylesheet (app.css), both
// minified, no source maps, no inline code (the server's CSP forbids inline scripts and styles).
// The type check is done before this by `tsc -p webui` (esbuild only strips the types).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: join(here, 'src', 'main.tsx'), 'app-style': join(here, 'src', 'style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  // Browsers of the last few years on phones and desktops (ES2020 syntax, CSS nesting lowered).
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Licence comments of the bundled libraries go to app.js.LEGAL.txt, not into the bytes a page loads.
  legalComments: 'linked',
  logLevel: 'warning',
});
// esbuild names a CSS entry after its key: rename to the name index.html asks for.
for (const f of readdirSync(out)) {
  if (f.startsWith('app-style.css')) {
    copyFileSync(join(out, f), join(out, f.replace('app-style.css', 'app.css')));
    rmSync(join(out, f));
  }
}
for (const f of readdirSync(join(here, 'public'))) copyFileSync(join(here, 'public', f), join(out, f));

if (!process.argv.includes('--quiet')) {
  for (const f of readdirSync(out).sort()) {
    const raw = statSync(join(out, f)).size;
    const gz = gzipSync(readFileSync(join(out, f))).length;
    process.stdout.write(`webui/dist/${f.padEnd(20)} ${String(raw).padStart(7)} B  ${String(gz).padStart(6)} B gzip\n`);
  }
}
