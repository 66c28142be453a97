// Test helper (not a test file): real routers (keys + signed RouterInfo) for NTCP2 tests.
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { RouterInfo } from '../../../src/data/router-info.js';

export const NET_ID = 99;

export interface TestRouter {
  ri: RouterInfo;
  signer: Ed25519Signer;
  staticKey: X25519KeyPair;
  iv: Buffer;
}

export interface MakeRouterOptions {
  host?: string;
  port?: number;
  netId?: number;
  published?: number;
  /** Publish this `s` instead of the real static key (to test the mismatch check). */
  publishedStaticKey?: Buffer;
  /** Leave the NTCP2 address out entirely. */
  noNtcp2Address?: boolean;
  /** Corrupt the signature after signing. */
  badSignature?: boolean;
  staticKey?: X25519KeyPair;
  iv?: Buffer;
}

export function makeRouter(o: MakeRouterOptions = {}): TestRouter {
  const signer = Ed25519Signer.generate();
  const identity = RouterIdentity.create(X25519KeyPair.generate().publicKey, signer.publicKey);
  const staticKey = o.staticKey ?? X25519KeyPair.generate();
  const iv = o.iv ?? randomBytes(16);
  const addresses = o.noNtcp2Address
    ? []
    : [
        new RouterAddress(
          3,
          0,
          'NTCP2',
          new Map([
            ['host', o.host ?? '127.0.0.1'],
            ['port', String(o.port ?? 12345)],
            ['s', i2pBase64Encode(o.publishedStaticKey ?? staticKey.publicKey)],
            ['i', i2pBase64Encode(iv)],
            ['v', '2'],
          ]),
        ),
      ];
  let ri = RouterInfo.create({
    identity,
    signer,
    published: o.published ?? Date.now(),
    addresses,
    options: new Map([
      ['caps', 'LR'],
      ['netId', String(o.netId ?? NET_ID)],
      ['router.version', '0.9.57'],
    ]),
  });
  if (o.badSignature) {
    const raw = Buffer.from(ri.raw);
    raw[raw.length - 1]! ^= 0x01;
    ri = RouterInfo.parse(raw);
  }
  return { ri, signer, staticKey, iv };
}
