import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  SOCKS5_GREETING,
  encodeHttpConnect,
  encodeSocks5Connect,
  openTunnel,
  parseHttpConnectReply,
  parseProxyUrl,
  parseSocks5ConnectReply,
  parseSocks5MethodReply,
} from '../../../src/netdb/reseed/proxy-tunnel.js';
import { ReseedFailure } from '../../../src/netdb/reseed/reseed-failure.js';

const isFailure = (reason: string) => (e: unknown) => e instanceof ReseedFailure && e.reason === reason;

describe('reseed proxy codecs', () => {
  it('parses i2pd-style proxy URLs with default ports', () => {
    assert.deepEqual(parseProxyUrl('http://127.0.0.1:8118'), { scheme: 'http', host: '127.0.0.1', port: 8118 });
    assert.deepEqual(parseProxyUrl('http://proxy.lan'), { scheme: 'http', host: 'proxy.lan', port: 80 });
    assert.deepEqual(parseProxyUrl('socks://[::1]'), { scheme: 'socks', host: '::1', port: 1080 });
    assert.deepEqual(parseProxyUrl('socks5://127.0.0.1:9050/'), { scheme: 'socks', host: '127.0.0.1', port: 9050 });
    assert.deepEqual(parseProxyUrl('http://u%20x:p%3Aw@h:3128'), { scheme: 'http', host: 'h', port: 3128, username: 'u x', password: 'p:w' });
    for (const bad of ['', 'localhost:8118', 'https://h:1', 'ftp://h', 'http://h:1/path', 'socks://u:p@h:1', 'socks://h:99999']) {
      assert.throws(() => parseProxyUrl(bad), isFailure('bad-proxy'), bad);
    }
  });

  it('encodes CONNECT with the authority form and optional Basic auth', () => {
    assert.equal(encodeHttpConnect({ host: 'reseed.example', port: 443 }, parseProxyUrl('http://p:1')).toString(), 'CONNECT reseed.example:443 HTTP/1.1\r\nHost: reseed.example:443\r\n\r\n');
    assert.match(encodeHttpConnect({ host: '::1', port: 8443 }, parseProxyUrl('http://a:b@p:1')).toString(), /^CONNECT \[::1\]:8443 HTTP\/1\.1\r\n.*Proxy-Authorization: Basic YTpi\r\n\r\n$/s);
  });

  it('parses CONNECT replies incrementally and refuses bad ones', () => {
    const ok = Buffer.from('HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n');
    for (let i = 0; i < ok.length; i++) assert.equal(parseHttpConnectReply(ok.subarray(0, i)), undefined);
    assert.equal(parseHttpConnectReply(ok), ok.length);
    assert.equal(parseHttpConnectReply(Buffer.from('HTTP/1.0 200\r\n\r\n')), 16);
    assert.throws(() => parseHttpConnectReply(Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n')), isFailure('proxy'));
    assert.throws(() => parseHttpConnectReply(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), isFailure('proxy'));
    assert.throws(() => parseHttpConnectReply(Buffer.alloc(9000, 0x41)), isFailure('proxy'));
  });

  it('encodes SOCKS5 CONNECT for names, IPv4 and IPv6', () => {
    assert.deepEqual([...SOCKS5_GREETING], [5, 1, 0]);
    assert.deepEqual([...encodeSocks5Connect({ host: 'ab.c', port: 443 })], [5, 1, 0, 3, 4, 0x61, 0x62, 0x2e, 0x63, 1, 0xbb]);
    assert.deepEqual([...encodeSocks5Connect({ host: '10.0.0.1', port: 80 })], [5, 1, 0, 1, 10, 0, 0, 1, 0, 80]);
    const v6 = encodeSocks5Connect({ host: '2001:db8::1', port: 443 });
    assert.equal(v6[3], 4);
    assert.equal(v6.subarray(4, 20).toString('hex'), '20010db8000000000000000000000001');
    assert.equal(encodeSocks5Connect({ host: '::', port: 1 }).subarray(4, 20).toString('hex'), '0'.repeat(32));
    assert.throws(() => encodeSocks5Connect({ host: 'a'.repeat(256), port: 1 }), isFailure('proxy'));
  });

  it('parses SOCKS5 replies incrementally and refuses failures', () => {
    assert.equal(parseSocks5MethodReply(Buffer.of(5)), undefined);
    assert.equal(parseSocks5MethodReply(Buffer.of(5, 0)), 2);
    assert.throws(() => parseSocks5MethodReply(Buffer.of(5, 0xff)), isFailure('proxy'));
    assert.throws(() => parseSocks5MethodReply(Buffer.of(4, 0)), isFailure('proxy'));
    const v4 = Buffer.of(5, 0, 0, 1, 1, 2, 3, 4, 0, 80);
    for (let i = 0; i < v4.length; i++) assert.equal(parseSocks5ConnectReply(v4.subarray(0, i)), undefined);
    assert.equal(parseSocks5ConnectReply(v4), 10);
    assert.equal(parseSocks5ConnectReply(Buffer.concat([Buffer.of(5, 0, 0, 3, 3), Buffer.from('abc'), Buffer.of(0, 1)])), 10);
    assert.equal(parseSocks5ConnectReply(Buffer.concat([Buffer.of(5, 0, 0, 4), Buffer.alloc(18)])), 22);
    assert.throws(() => parseSocks5ConnectReply(Buffer.of(5, 5, 0, 1)), (e: unknown) => isFailure('proxy')(e) && /connection refused/.test((e as Error).message));
    assert.throws(() => parseSocks5ConnectReply(Buffer.of(5, 0, 0, 9, 0)), isFailure('proxy'));
  });

  it('fails a tunnel whose proxy talks before the TLS handshake', async () => {
    const server = createServer((s) => {
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\n\r\nsurprise'));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await assert.rejects(openTunnel({ host: 'x', port: 443 }, parseProxyUrl(`http://127.0.0.1:${port}`), new AbortController().signal), isFailure('proxy'));
    } finally {
      server.close();
    }
  });
});
