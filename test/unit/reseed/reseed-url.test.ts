import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESEED_USER_AGENT } from '../../../src/netdb/reseed/https-fetch.js';
import { reseedFromUrl, su3UrlFor } from '../../../src/netdb/reseed/reseed-source.js';
import { TrustStore } from '../../../src/netdb/reseed/trust-store.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import { NET_ID, SIGNER_ID, certFileName, freshRouterInfos, refused, makeCertsDir, makeSigner, makeSu3, makeTls, reseedZip, type TestTls } from './helpers.js';
import { startConnectProxy, startReseedServer, startSocks5Proxy, type ReseedServer } from './servers.js';

const hashes = (ris: RouterInfo[]): string[] => ris.map((r) => r.hash.toString('hex')).sort();

describe('reseed over HTTPS', () => {
  let tls: TestTls;
  let store: TrustStore;
  let ris: RouterInfo[];
  let su3: Buffer;
  let server: ReseedServer;

  const serveSu3 = (): void =>
    server.setHandler((req, res) => {
      if (!req.url?.startsWith('/i2pseeds.su3')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': su3.length }).end(su3);
    });

  before(async () => {
    tls = makeTls();
    const signer = await makeSigner(SIGNER_ID);
    store = await TrustStore.load(makeCertsDir([{ name: certFileName(SIGNER_ID), pem: signer.certPem }]));
    ris = freshRouterInfos(4);
    su3 = makeSu3(await reseedZip(ris), signer.privateKey);
    server = await startReseedServer(tls, () => undefined);
  });

  after(() => server.close());

  const opts = (extra: Record<string, unknown> = {}) => ({ trustStore: store, ca: [tls.caPem], netId: NET_ID, timeoutMs: 5000, maxBytes: 1 << 20, ...extra });

  it('builds the SU3 URL with the netid query, keeping explicit .su3 URLs', () => {
    assert.equal(su3UrlFor('https://reseed.example/', 2), 'https://reseed.example/i2pseeds.su3?netid=2');
    assert.equal(su3UrlFor('https://reseed.example/netDb', 99), 'https://reseed.example/netDb/i2pseeds.su3?netid=99');
    assert.equal(su3UrlFor('https://x.example:8443/a/b.su3', 2), 'https://x.example:8443/a/b.su3');
    assert.throws(() => su3UrlFor('http://reseed.example/', 2), refused('bad-url'));
    assert.throws(() => su3UrlFor('not a url', 2), refused('bad-url'));
  });

  it('downloads and verifies i2pseeds.su3 with the reference User-Agent and netid', async () => {
    serveSu3();
    const before = server.requests.length;
    const data = await reseedFromUrl(server.url, opts());
    assert.deepEqual(hashes(data.routerInfos), hashes(ris));
    assert.equal(data.signer, SIGNER_ID);
    const req = server.requests[before]!;
    assert.equal(req.url, `/i2pseeds.su3?netid=${NET_ID}`);
    assert.equal(req.headers['user-agent'], RESEED_USER_AGENT);
    assert.equal(req.headers.host, `127.0.0.1:${server.port}`);
  });

  it('refuses a server whose TLS certificate is not trusted', async () => {
    serveSu3();
    await assert.rejects(reseedFromUrl(server.url, opts({ ca: [] })), refused('tls'));
  });

  it('refuses a tampered file served over a good connection', async () => {
    const t = Buffer.from(su3);
    t[t.length - 600]! ^= 1;
    server.setHandler((_req, res) => res.writeHead(200).end(t));
    await assert.rejects(reseedFromUrl(server.url, opts()), refused('bad-signature'));
  });

  it('follows up to 3 redirects, not 4, and never to http', async () => {
    server.setHandler((req, res) => {
      const m = /^\/hop(\d)/.exec(req.url ?? '');
      const n = m ? Number(m[1]) : 0;
      const target = Number(new URL(req.url!, 'https://x').searchParams.get('to') ?? '3');
      if (n < target) res.writeHead(302, { Location: `/hop${n + 1}?to=${target}` }).end();
      else res.writeHead(200).end(su3);
    });
    const three = await reseedFromUrl(`${server.url}hop0.su3?to=3`, opts());
    assert.equal(three.routerInfos.length, ris.length);
    assert.match(three.source, /\/hop3\?to=3$/);
    await assert.rejects(reseedFromUrl(`${server.url}hop0.su3?to=4`, opts()), refused('too-many-redirects'));
    server.setHandler((_req, res) => res.writeHead(301, { Location: `http://127.0.0.1:${server.port}/i2pseeds.su3` }).end());
    await assert.rejects(reseedFromUrl(server.url, opts()), refused('bad-url'));
  });

  it('refuses HTTP errors', async () => {
    server.setHandler((_req, res) => res.writeHead(403).end('no'));
    await assert.rejects(reseedFromUrl(server.url, opts()), refused('http-status'));
  });

  it('bounds the size by Content-Length and by what actually arrives', async () => {
    const big = Buffer.alloc(300_000, 1);
    server.setHandler((_req, res) => res.writeHead(200, { 'Content-Length': big.length }).end(big));
    await assert.rejects(reseedFromUrl(server.url, opts({ maxBytes: 100_000 })), refused('too-large'));
    // Chunked, no length announced.
    server.setHandler((_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 30; i++) res.write(big.subarray(0, 10_000));
      res.end();
    });
    await assert.rejects(reseedFromUrl(server.url, opts({ maxBytes: 100_000 })), refused('too-large'));
  });

  it('times out on a server that never answers, and a slow drip', async () => {
    server.setHandler(() => undefined);
    const t0 = Date.now();
    await assert.rejects(reseedFromUrl(server.url, opts({ timeoutMs: 300 })), refused('timeout'));
    assert.ok(Date.now() - t0 < 3000);
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'Content-Length': su3.length });
      res.write(su3.subarray(0, 100));
    });
    await assert.rejects(reseedFromUrl(server.url, opts({ timeoutMs: 300 })), refused('timeout'));
  });

  it('refuses a closed port and an abort', async () => {
    await assert.rejects(reseedFromUrl('https://127.0.0.1:1/', opts()), refused('connect'));
    server.setHandler(() => undefined);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(reseedFromUrl(server.url, opts({ signal: ac.signal })), refused('aborted'));
  });

  it('reseeds through an HTTP CONNECT proxy, with Basic auth', async () => {
    serveSu3();
    const proxy = await startConnectProxy();
    try {
      const data = await reseedFromUrl(server.url, opts({ proxy: proxy.url.replace('http://', 'http://user:p%40ss@') }));
      assert.deepEqual(hashes(data.routerInfos), hashes(ris));
      assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`]);
      assert.equal(proxy.auth[0], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    } finally {
      await proxy.close();
    }
  });

  it('reports a proxy that refuses CONNECT', async () => {
    const proxy = await startConnectProxy({ refuse: true });
    try {
      await assert.rejects(reseedFromUrl(server.url, opts({ proxy: proxy.url })), refused('proxy'));
    } finally {
      await proxy.close();
    }
    await assert.rejects(reseedFromUrl(server.url, opts({ proxy: 'http://127.0.0.1:1' })), refused('proxy'));
    await assert.rejects(reseedFromUrl(server.url, opts({ proxy: 'ftp://127.0.0.1:1' })), refused('bad-proxy'));
  });

  it('reseeds through a SOCKS5 proxy, sending the host name for the proxy to resolve', async () => {
    serveSu3();
    const proxy = await startSocks5Proxy();
    try {
      const viaIp = await reseedFromUrl(server.url, opts({ proxy: proxy.url }));
      assert.deepEqual(hashes(viaIp.routerInfos), hashes(ris));
      const viaName = await reseedFromUrl(`https://localhost:${server.port}/`, opts({ proxy: proxy.url }));
      assert.equal(viaName.routerInfos.length, ris.length);
      assert.deepEqual(proxy.targets, [`127.0.0.1:${server.port}`, `localhost:${server.port}`]);
    } finally {
      await proxy.close();
    }
  });
});
