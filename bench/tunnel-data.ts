/**
 * Tunnel data path benchmark, one core, all in memory (no transport):
 *   - participant: TunnelData messages relayed per second by a TransitTunnel (decode, one layer
 *     step, re-address to the next tunnel id, new I2NP message) — the transit work per message;
 *   - the layer step alone, and the CBC strategies it was chosen from (layer-crypto.ts);
 *   - gateway fragmentation (plaintext tunnel messages) and an outbound gateway of 3 hops
 *     (fragmentation + 3 inverse layer steps) for small, 1 KiB and 16 KiB I2NP messages;
 *   - endpoint reassembly (checksum, parse, reassemble, I2NP decode) and an inbound endpoint of
 *     3 hops for the same sizes;
 *   - the memory 2,000 transit tunnels take.
 * Throughputs count I2NP bytes delivered (MBps = 10^6 bytes/s). Inputs are prepared before the
 * clock starts; the best of a few samples is kept (the machine is shared).
 * `node dist/bench/tunnel-data.js` runs it alone and prints JSON.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Aes256Ecb } from '../src/crypto/index.js';
import { I2NPType, type I2NPMessage } from '../src/i2np/message.js';
import { TunnelEndpointReassembler } from '../src/tunnel/endpoint-reassembler.js';
import { fragmentMessages, gatewayMessage, type GatewayMessage } from '../src/tunnel/gateway-fragmenter.js';
import { TunnelLayerCipher, TUNNEL_LAYER_LENGTH, encryptLayers } from '../src/tunnel/layer-crypto.js';
import { TransitTunnel } from '../src/tunnel/participant.js';
import { InboundTunnelEndpoint, OutboundTunnelGateway, type HopKeys } from '../src/tunnel/tunnel-ends.js';
import { runIfMain } from './run-if-main.js';

const SAMPLES = 3;
const SAMPLE_MS = 300;
const NOW = Date.now();

/** Best rate of `fn` (which does `units` units per call) over SAMPLES runs of at least SAMPLE_MS. */
function rate(fn: () => void, units = 1): number {
  for (let i = 0; i < 20; i++) fn();
  let best = 0;
  for (let s = 0; s < SAMPLES; s++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < SAMPLE_MS) {
      for (let i = 0; i < 16; i++) fn();
      calls += 16;
      elapsed = performance.now() - t0;
    }
    best = Math.max(best, (calls * units) / (elapsed / 1000));
  }
  return best;
}

const round = Math.round;
const mbps = (bytesPerSec: number): number => Math.round(bytesPerSec / 1e5) / 10;

function keys(): HopKeys {
  return { layerKey: randomBytes(32), ivKey: randomBytes(32) };
}

function data(length: number): I2NPMessage {
  return { type: I2NPType.Data, msgId: randomBytes(4).readUInt32BE(0), expiration: NOW + 60_000, payload: randomBytes(length - 16) };
}

/** The CBC strategies layer-crypto.ts compared, timed on one 1008-byte layer. */
function cbcStrategies(r: Record<string, number | string>): void {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const body = randomBytes(1008);
  r.cbc1008_createCipheriv_per_s = round(rate(() => {
    const c = createCipheriv('aes-256-cbc', key, iv);
    c.setAutoPadding(false);
    c.update(body);
  }));
  const ecb = createCipheriv('aes-256-ecb', key, null);
  ecb.setAutoPadding(false);
  const block = Buffer.alloc(16);
  r.cbc1008_over_reused_ecb_per_s = round(rate(() => {
    let prev: Uint8Array = iv;
    for (let o = 0; o < 1008; o += 16) {
      for (let j = 0; j < 16; j++) block[j] = body[o + j]! ^ prev[j]!;
      prev = ecb.update(block);
    }
  }));
  const ivKey = randomBytes(32);
  const hop = new TunnelLayerCipher(key, ivKey);
  const layer = randomBytes(TUNNEL_LAYER_LENGTH);
  const out = Buffer.alloc(TUNNEL_LAYER_LENGTH);
  // The whole layer step both ways, alternating so that machine load hits both alike.
  const ivEcb = new Aes256Ecb(ivKey);
  const fresh = (): void => {
    const current = ivEcb.encryptBlock(layer.subarray(0, 16));
    const c = createCipheriv('aes-256-cbc', key, current);
    c.setAutoPadding(false);
    out.set(ivEcb.encryptBlock(current), 0);
    out.set(c.update(layer.subarray(16)), 16);
  };
  let reused = 0;
  let perMessage = 0;
  for (let k = 0; k < 3; k++) {
    reused = Math.max(reused, rate(() => hop.encrypt(layer, out)));
    perMessage = Math.max(perMessage, rate(fresh));
  }
  r.layer_step_reused_contexts_per_s = round(reused);
  r.layer_step_createCipheriv_per_message_per_s = round(perMessage);
  r.layer_inverse_step_per_s = round(rate(() => hop.decrypt(layer, out)));
}

function participant(r: Record<string, number | string>): void {
  const t = new TransitTunnel({ role: 'participant', receiveTunnelId: 1, nextTunnelId: 2, nextIdent: randomBytes(32), ...keys(), createdAt: NOW });
  const msgs: I2NPMessage[] = Array.from({ length: 256 }, () => {
    const payload = randomBytes(1028);
    payload.writeUInt32BE(1, 0);
    return { type: I2NPType.TunnelData, msgId: 1, expiration: NOW + 8000, payload };
  });
  let i = 0;
  const perSec = rate(() => {
    const out = t.receive(msgs[i++ & 255]!, NOW);
    if (out.length !== 1) throw new Error('participant dropped a message');
  });
  r.participant_msgs_per_s = round(perSec);
  r.participant_MBps = mbps(perSec * 1028);
}

const MIXES: [string, number, number][] = [
  // name, I2NP message length (standard header included), messages per batch
  ['small100B', 100, 40],
  ['1KiB', 1024, 10],
  ['16KiB', 16 * 1024, 1],
];

function gatewayAndEndpoint(r: Record<string, number | string>): void {
  const hops = [keys(), keys(), keys()];
  const obgw = new OutboundTunnelGateway({ firstHop: randomBytes(32), firstTunnelId: 7, hops });
  for (const [name, length, batch] of MIXES) {
    const delivery = { kind: 'router' as const, hash: randomBytes(32) };
    const batches: GatewayMessage[][] = Array.from({ length: 16 }, () => Array.from({ length: batch }, () => gatewayMessage(delivery, data(length))));
    const bytes = length * batch;
    let i = 0;
    const frag = rate(() => void fragmentMessages(7, batches[i++ & 15]!), bytes);
    r[`fragment_${name}_msgs_per_s`] = round(frag / length);
    r[`fragment_${name}_MBps`] = mbps(frag);
    const gw = rate(() => void obgw.send(batches[i++ & 15]!, NOW), bytes);
    r[`outboundGateway3hops_${name}_MBps`] = mbps(gw);

    // Endpoint: plaintext tunnel messages of one batch, fed in order (each round completes every
    // message of the batch; fragment ids repeat across rounds only after completion).
    const plain = fragmentMessages(7, batches[0]!).tunnelMessages;
    const reassembler = new TunnelEndpointReassembler();
    const reasm = rate(() => {
      let n = 0;
      for (const tm of plain) n += reassembler.receive(tm, NOW).length;
      if (n !== batch) throw new Error('reassembly lost messages');
    }, bytes);
    r[`reassemble_${name}_msgs_per_s`] = round(reasm / length);
    r[`reassemble_${name}_MBps`] = mbps(reasm);

    // Inbound endpoint of 3 hops: what the hops made of the gateway's plaintext.
    const ibep = new InboundTunnelEndpoint({ tunnelId: 7, hops });
    const ciphers = hops.map((k) => new TunnelLayerCipher(k.layerKey, k.ivKey));
    const wire = plain.map((tm) => {
      const m = Buffer.from(tm);
      encryptLayers(ciphers, m.subarray(4));
      return m;
    });
    const ib = rate(() => {
      let n = 0;
      for (const tm of wire) n += ibep.receive(tm, NOW).length;
      if (n !== batch) throw new Error('inbound endpoint lost messages');
    }, bytes);
    r[`inboundEndpoint3hops_${name}_MBps`] = mbps(ib);
    r[`tunnelMessages_${name}_per_batch`] = plain.length;
  }
}

/**
 * Memory of 2,000 transit tunnels (80% participants, 10% inbound gateways, 10% outbound
 * endpoints), each having relayed a message so that its cipher contexts exist: RSS growth,
 * measured first, before the throughput runs allocate anything (approximate: RSS is per process).
 */
function transitMemory(r: Record<string, number | string>): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const tunnels: TransitTunnel[] = [];
  for (let i = 0; i < 2000; i++) {
    const role = i % 10 === 0 ? 'outboundEndpoint' : i % 10 === 1 ? 'inboundGateway' : 'participant';
    const t = new TransitTunnel({ role, receiveTunnelId: i + 1, nextTunnelId: 5, nextIdent: randomBytes(32), ...keys(), createdAt: NOW });
    const payload = randomBytes(1028);
    payload.writeUInt32BE(i + 1, 0);
    if (role !== 'inboundGateway') t.receive({ type: I2NPType.TunnelData, msgId: 1, expiration: NOW, payload }, NOW);
    tunnels.push(t);
  }
  // With the tunnels, then without them (closed and dropped), in the same heap: garbage left by
  // earlier benchmarks cannot make the difference negative the way a before/after pair could.
  gc?.();
  const after = process.memoryUsage();
  if (tunnels.length !== 2000) throw new Error('unreachable');
  for (const t of tunnels) t.close();
  tunnels.length = 0;
  gc?.();
  const before = process.memoryUsage();
  r.transitTunnels2000_heapAndExternal_MB = Math.round((after.heapUsed + after.external - before.heapUsed - before.external) / 1e5) / 10;
}

export async function benchTunnelData(): Promise<Record<string, number | string>> {
  const r: Record<string, number | string> = { node: process.version };
  transitMemory(r);
  participant(r);
  cbcStrategies(r);
  gatewayAndEndpoint(r);
  return r;
}

runIfMain(import.meta.url, benchTunnelData);
