// Test helper (not a test file): builds real, signed RouterInfos with fresh keys.
import { Ed25519Signer, X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { i2pBase64Encode } from '../../../src/data/base64.js';
import type { Mapping } from '../../../src/data/mapping.js';
import { RouterAddress } from '../../../src/data/router-address.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { RouterInfo } from '../../../src/data/router-info.js';

export interface TestRouter {
  ri: RouterInfo;
  signer: Ed25519Signer;
  ntcp2Static: X25519KeyPair;
  ntcp2Iv: Buffer;
  /** The identity's ECIES-X25519 key pair (router garlic is encrypted to it). */
  encryption: X25519KeyPair;
}

export function makeRouterInfo(opts: { published?: number; options?: Mapping; addresses?: RouterAddress[] } = {}): TestRouter {
  const signer = Ed25519Signer.generate();
  const encryption = X25519KeyPair.generate();
  const identity = RouterIdentity.create(encryption.publicKey, signer.publicKey);
  const ntcp2Static = X25519KeyPair.generate();
  const ntcp2Iv = randomBytes(16);
  const addresses = opts.addresses ?? [
    new RouterAddress(
      3,
      0,
      'NTCP2',
      new Map([
        ['host', '198.18.0.7'],
        ['port', '23456'],
        ['s', i2pBase64Encode(ntcp2Static.publicKey)],
        ['i', i2pBase64Encode(ntcp2Iv)],
        ['v', '2'],
      ]),
    ),
  ];
  const ri = RouterInfo.create({
    identity,
    signer,
    published: opts.published ?? 1_764_000_000_000,
    addresses,
    options: opts.options ?? new Map([
      ['caps', 'XfR'],
      ['netId', '99'],
      ['router.version', '0.9.57'],
    ]),
  });
  return { ri, signer, ntcp2Static, ntcp2Iv, encryption };
}
