/**
 * Tunnel build benchmark: build requests handled per second by one hop (find our record, Noise N
 * open, parse, replay check, reply AEAD and the layer over the other records, re-encode), for
 * ShortTunnelBuild (4 x 218-byte records, what i2pd sends) and VariableTunnelBuild (4 x 528).
 * Also the creator's cost: 3-hop builds created per second and their replies read.
 *
 * Every request is distinct (a replayed one would be refused early and flatter the figure); they
 * are all made before the clock starts.
 */
import { performance } from 'node:perf_hooks';
import { Ed25519Signer, X25519KeyPair } from '../src/crypto/index.js';
import { RouterIdentity } from '../src/data/router-identity.js';
import { createTunnelBuild, type BuildHopTarget, type TunnelBuildRequest } from '../src/tunnel/build/build-creator.js';
import { TunnelBuildHop } from '../src/tunnel/build/build-request.js';
import type { BuildRecordFormat } from '../src/tunnel/build/build-record.js';
import { runIfMain } from './run-if-main.js';

const REQUESTS = 2000;

interface Router {
  hop: TunnelBuildHop;
  target: BuildHopTarget;
}

function router(): Router {
  const key = X25519KeyPair.generate();
  const identity = RouterIdentity.create(key.publicKey, Ed25519Signer.generate().publicKey);
  return { hop: new TunnelBuildHop({ identHash: identity.hash, encryptionKey: key }), target: { identHash: identity.hash, encryptionKey: key.publicKey } };
}

function perSecond(n: number, ms: number): number {
  return Math.round(n / (ms / 1000));
}

export async function benchTunnelBuild(): Promise<Record<string, number | string>> {
  run(REQUESTS / 10); // warm-up: JIT and OpenSSL contexts, so the first format measured is not penalised
  return run(REQUESTS);
}

function run(requests: number): Record<string, number | string> {
  const now = Date.now();
  const us = router();
  const report: Record<string, number | string> = { requests };
  for (const format of ['short', 'long'] as BuildRecordFormat[]) {
    const hops = [router(), router(), router()];
    const spec = (i: number) => ({
      format,
      direction: (i % 2 === 0 ? 'inbound' : 'outbound') as 'inbound' | 'outbound',
      hops: hops.map((h) => h.target),
      ourIdentHash: us.target.identHash,
      replyTunnelId: 1 + i,
      replyGateway: us.target.identHash,
      now,
    });
    // Creator: 3-hop builds (3 DH + KDF + record onion each).
    let t0 = performance.now();
    const builds: TunnelBuildRequest[] = [];
    for (let i = 0; i < requests; i++) builds.push(createTunnelBuild(spec(i)));
    report[`${format}CreatedPerSec`] = perSecond(requests, performance.now() - t0);

    // Hop: the first hop of each build answers it.
    const first = hops[0]!.hop;
    t0 = performance.now();
    const forwards = builds.map((b) => first.open(b.type, b.payload, now).reply(true));
    report[`${format}HopHandledPerSec`] = perSecond(requests, performance.now() - t0);

    // The rest of the path, then the creator reads every reply.
    const finals = forwards.map((f) => {
      let { type, payload } = f;
      for (const h of hops.slice(1)) ({ type, payload } = h.hop.open(type, payload, now).reply(true));
      return { type, payload };
    });
    t0 = performance.now();
    let accepted = 0;
    finals.forEach((f, i) => {
      if (builds[i]!.pending.handleReply(f.type, f.payload).accepted) accepted++;
    });
    report[`${format}RepliesReadPerSec`] = perSecond(requests, performance.now() - t0);
    if (accepted !== requests) report[`${format}Failed`] = `${requests - accepted} builds not accepted`;
  }
  return report;
}

runIfMain(import.meta.url, benchTunnelBuild);
