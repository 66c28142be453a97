#!/usr/bin/env node
// `npm run build:webui`: bundles the admin page into webui/dist, which the admin server serves
// (@fastify/static, src/admin/server.ts). One script (app.js) and one stylesheet (app.css), both
// minified, no source maps, no inline code (the server's CSP forbids inline scripts and styles).
// Each text file also gets .br and .gz siblings, compressed once here at the highest levels, which
// the server sends to browsers that accept them (@fastify/static preCompressed): a Pi's slow core
// never compresses per request, and the page crosses the LAN at ~40 % of its size.
// The type check is done before this by `tsc -p webui` (esbuild only strips the types).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';

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

const COMPRESSIBLE = /\.(js|css|html|svg|txt)$/;
for (const f of readdirSync(out)) {
  if (!COMPRESSIBLE.test(f)) continue;
  const data = readFileSync(join(out, f));
  writeFileSync(join(out, `${f}.gz`), gzipSync(data, { level: 9 }));
  writeFileSync(join(out, `${f}.br`), brotliCompressSync(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length } }));
}

if (!process.argv.includes('--quiet')) {
  for (const f of readdirSync(out).sort()) {
    if (/\.(gz|br)$/.test(f)) continue;
    const raw = statSync(join(out, f)).size;
    const size = (ext) => {
      try {
        return `${String(statSync(join(out, f + ext)).size).padStart(6)} B ${ext.slice(1)}`;
      } catch {
        return '';
      }
    };
    process.stdout.write(`webui/dist/${f.padEnd(20)} ${String(raw).padStart(7)} B  ${size('.gz')}  ${size('.br')}\n`);
  }
}
