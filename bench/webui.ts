/**
 * Admin page benchmark (issue 6, item 7): what the page costs the box and a phone.
 *   - the bundle: each file of webui/dist, raw and its pre-compressed .gz/.br siblings (the server
 *     sends brotli to browsers that accept it, else gzip, else raw; nothing is compressed per request);
 *   - first paint of the dashboard in headless Chromium against the real router process on
 *     loopback (webui harness of the e2e tests): from navigation to the dashboard's figures drawn
 *     (the page's `gg-dashboard-data` mark, set when the first SSE snapshot is rendered), with the
 *     bytes received until then (CDP Network events, headers included) — with an empty cache, with a
 *     warm one (the server answers 304 to revalidations), and with the CPU slowed 4× (a phone) and an
 *     empty cache.
 * Needs /usr/bin/chromium and a built page (npm run build); without them the report says what is
 * missing.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, startAdminBox, WEBUI_DIST } from '../test/e2e/webui-harness.js';
import { runIfMain } from './run-if-main.js';

const RUNS = 9;
const PASSWORD = 'bench admin password';

function bundle(): Record<string, unknown> {
  const files: Record<string, { raw: number; gzip?: number; brotli?: number }> = {};
  const total = { raw: 0, gzip: 0, brotli: 0 };
  const names = readdirSync(WEBUI_DIST);
  for (const f of names.sort()) {
    if (f.endsWith('.LEGAL.txt') || /\.(gz|br)$/.test(f)) continue;
    const raw = readFileSync(join(WEBUI_DIST, f)).length;
    const size = (ext: string): number | undefined => (names.includes(f + ext) ? readFileSync(join(WEBUI_DIST, f + ext)).length : undefined);
    files[f] = { raw, ...(size('.gz') !== undefined ? { gzip: size('.gz') } : {}), ...(size('.br') !== undefined ? { brotli: size('.br') } : {}) };
    total.raw += raw;
    total.gzip += files[f]!.gzip ?? raw;
    total.brotli += files[f]!.brotli ?? raw;
  }
  return { files, total, note: 'pre-compressed by the build: a browser with brotli receives the brotli sizes' };
}

interface Paint {
  ms: number;
  firstContentfulPaintMs: number;
  bytes: number;
  requests: number;
}

/** Bytes received per request until now (CDP's encodedDataLength: headers and body as on the wire). */
function countBytes(cdp: CDPSession): { total: () => { bytes: number; requests: number } } {
  const perRequest = new Map<string, number>();
  cdp.on('Network.responseReceived', (e) => perRequest.set(e.requestId, Math.max(perRequest.get(e.requestId) ?? 0, e.response.encodedDataLength ?? 0)));
  cdp.on('Network.dataReceived', (e) => perRequest.set(e.requestId, (perRequest.get(e.requestId) ?? 0) + e.encodedDataLength));
  cdp.on('Network.loadingFinished', (e) => perRequest.set(e.requestId, Math.max(perRequest.get(e.requestId) ?? 0, e.encodedDataLength)));
  return { total: () => ({ bytes: [...perRequest.values()].reduce((a, b) => a + b, 0), requests: perRequest.size }) };
}

async function firstPaint(page: Page, url: string, cdp: CDPSession): Promise<Paint> {
  const counter = countBytes(cdp);
  await page.goto(url, { waitUntil: 'commit' });
  await page.locator('.dashboard[data-ready]').waitFor({ timeout: 30_000 });
  const { total } = counter;
  const t = (await page.evaluate(`(() => {
    const mark = performance.getEntriesByName('gg-dashboard-data')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { ms: mark ? mark.startTime : -1, fcp: fcp ? fcp.startTime : -1 };
  })()`)) as { ms: number; fcp: number };
  const { bytes, requests } = total();
  return { ms: t.ms, firstContentfulPaintMs: t.fcp, bytes, requests };
}

function summary(runs: Paint[]): Record<string, number> {
  const sorted = (k: keyof Paint) => runs.map((r) => r[k]).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  const round = (x: number) => Number(x.toFixed(1));
  return {
    runs: runs.length,
    medianMs: round(median(sorted('ms'))),
    minMs: round(sorted('ms')[0]!),
    maxMs: round(sorted('ms')[runs.length - 1]!),
    medianFirstContentfulPaintMs: round(median(sorted('firstContentfulPaintMs'))),
    medianBytes: median(sorted('bytes')),
    requests: median(sorted('requests')),
  };
}

export async function benchWebui(): Promise<Record<string, unknown>> {
  if (!existsSync(join(WEBUI_DIST, 'index.html'))) return { missing: 'webui/dist is not built (npm run build)' };
  if (!existsSync(CHROMIUM)) return { missing: `${CHROMIUM} (apt-get install chromium)`, bundle: bundle() };
  const box = await startAdminBox('ggwebui-bench-');
  const browser = await launchChromium('ggwebui-bench-chromium-', { guard: false });
  try {
    const setup = browser.context.pages()[0] ?? (await browser.context.newPage());
    await setup.goto(box.url);
    await setup.getByLabel('New password').fill(PASSWORD);
    await setup.getByLabel('Repeat the password').fill(PASSWORD);
    await setup.getByRole('button', { name: 'Set password' }).click();
    await setup.locator('.dashboard[data-ready]').waitFor({ timeout: 30_000 });
    await setup.close();

    const measure = async (cache: 'cold' | 'warm', cpuSlowdown: number): Promise<Record<string, number>> => {
      const runs: Paint[] = [];
      for (let i = 0; i < RUNS + 1; i++) {
        const page = await browser.context.newPage();
        const cdp = await browser.context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: cache === 'cold' });
        if (cpuSlowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });
        const r = await firstPaint(page, box.url, cdp);
        await page.close();
        // The first load of each series warms the cache (warm) or the JIT and server (cold): not counted.
        if (i > 0) runs.push(r);
      }
      return summary(runs);
    };
    return {
      bundle: bundle(),
      firstPaint: {
        coldCache: await measure('cold', 1),
        warmCache: await measure('warm', 1),
        coldCacheCpu4x: await measure('cold', 4),
        note: 'ms from navigation start to the dashboard figures drawn (first SSE snapshot rendered); bytes received until then, HTTP headers included; already logged in',
      },
    };
  } finally {
    await browser.close();
    await box.close();
    rmSync(box.work, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, benchWebui);
