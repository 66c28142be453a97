/** Test routers and a driver that passes a build message hop by hop, as the network would. */
import assert from 'node:assert/strict';
import { Ed25519Signer, X25519KeyPair } from '../../../src/crypto/index.js';
import { RouterIdentity } from '../../../src/data/router-identity.js';
import { TunnelBuildHop, type BuildForward, type BuildRequest } from '../../../src/tunnel/build/build-request.js';
import { createTunnelBuild, type BuildHopTarget, type TunnelBuildRequest, type TunnelBuildSpec } from '../../../src/tunnel/build/build-creator.js';

export interface TestRouter {
  identity: RouterIdentity;
  key: X25519KeyPair;
  hop: TunnelBuildHop;
  target: BuildHopTarget;
}

export function makeRouter(): TestRouter {
  const key = X25519KeyPair.generate();
  const identity = RouterIdentity.create(key.publicKey, Ed25519Signer.generate().publicKey);
  const hop = new TunnelBuildHop({ identHash: identity.hash, encryptionKey: key });
  return { identity, key, hop, target: { identHash: identity.hash, encryptionKey: identity.encryptionPublicKey } };
}

export interface BuildRun {
  request: TunnelBuildRequest;
  requests: BuildRequest[];
  forwards: BuildForward[];
  /** The message that reaches the creator. */
  last: BuildForward;
}

/**
 * Creates a build through `routers` and lets each answer with `answers[k]`; checks on the way
 * that every message goes to the router the previous record named, with the id it gave.
 */
export function runBuild(spec: Omit<TunnelBuildSpec, 'hops'>, routers: TestRouter[], answers: (boolean | number)[], now = spec.now): BuildRun {
  const request = createTunnelBuild({ ...spec, hops: routers.map((r) => r.target) });
  let type = request.type;
  let payload = request.payload;
  let to = request.firstHop;
  const requests: BuildRequest[] = [];
  const forwards: BuildForward[] = [];
  routers.forEach((router, k) => {
    assert.deepEqual(to, router.identity.hash, `message ${k} goes to hop ${k}`);
    const r = router.hop.open(type, payload, now);
    requests.push(r);
    const f = r.reply(answers[k]!);
    assert.equal(f.msgId, request.pending.hops[k]!.nextMessageId);
    forwards.push(f);
    ({ type, payload, to } = f);
  });
  return { request, requests, forwards, last: forwards.at(-1)! };
}
