/**
 * Reseed benchmark: how long a router spends turning a downloaded reseed file into verified
 * RouterInfos: SU3 parse + RSA-4096/SHA-512 signature check + unzip + RouterInfo parse and
 * Ed25519 verification, for a file of 100 routers (real reseed files hold ~75–150).
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openReseedData } from '../src/netdb/reseed/reseed-source.js';
import { SU3ContentType, SU3FileType, SU3SigType, openReseedSU3, signSU3 } from '../src/netdb/reseed/su3.js';
import { reseedZipOf } from '../test/helpers/zip.js';
import { makeRouterInfo } from '../test/unit/data/make-router-info.js';

const ROUTERS = 100;
const RUNS = 20;

export async function benchReseed(): Promise<Record<string, number | string>> {
  const now = Date.now();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
  const keyring = { keyFor: () => publicKey };
  const ris = Array.from({ length: ROUTERS }, () => makeRouterInfo({ published: now - 60_000 }).ri);
  const zip = await reseedZipOf(ris.map((ri) => ri.raw));
  const su3 = signSU3(
    { sigType: SU3SigType.RSA_SHA512_4096, version: String(Math.floor(now / 1000)), signerId: 'bench@mail.i2p', fileType: SU3FileType.ZIP, contentType: SU3ContentType.RESEED, content: zip },
    privateKey,
  );
  // Warm-up, and a check that the benchmark measures a successful reseed.
  const first = await openReseedData(su3, 'su3', keyring, now, 'bench');
  if (first.routerInfos.length !== ROUTERS) throw new Error(`bench: expected ${ROUTERS} RouterInfos, got ${first.routerInfos.length}`);

  let t0 = performance.now();
  for (let i = 0; i < RUNS; i++) openReseedSU3(su3, keyring, now);
  const verifyMs = (performance.now() - t0) / RUNS;

  t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await openReseedData(su3, 'su3', keyring, now, 'bench');
  const totalMs = (performance.now() - t0) / RUNS;

  return {
    routers: ROUTERS,
    su3Bytes: su3.length,
    su3VerifyMs: Number(verifyMs.toFixed(3)),
    su3VerifyUnzipParseMs: Number(totalMs.toFixed(3)),
    perRouterUs: Number(((totalMs * 1000) / ROUTERS).toFixed(1)),
    note: 'SU3 RSA-4096/SHA-512 verify alone, then verify + unzip + RouterInfo parse/verify, mean of 20 runs',
  };
}
