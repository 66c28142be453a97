// NTCP2Transport over loopback TCP: our initiator against our responder, plus hostile peers
// built from the pure cores on raw sockets. 127.0.0.1 is fine for our-vs-our tests.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { X25519KeyPair, randomBytes } from '../../../src/crypto/index.js';
import { silentLogger } from '../../../src/util/log.js';
import type { RouterInfo } from '../../../src/data/router-info.js';
import type { I2NPMessage } from '../../../src/i2np/message.js';
import { NTCP2Transport, type NTCP2TransportOptions } from '../../../src/transport/ntcp2/transport.js';
import type { NTCP2Session } from '../../../src/transport/ntcp2/session.js';
import { NTCP2Initiator } from '../../../src/transport/ntcp2/handshake-initiator.js';
import type { EstablishedEvent, HandshakeEvent } from '../../../src/transport/ntcp2/handshake-common.js';
import { BlockType, TerminationReason, type Block } from '../../../src/transport/ntcp2/blocks.js';
import { NET_ID, makeRouter, type MakeRouterOptions, type TestRouter } from './helpers.js';

const HOST = '127.0.0.1';
const FAST_PROBING = { maxReadMore: 0, minDelayMs: 0, maxDelayMs: 20 };

interface Node {
  t: NTCP2Transport;
  router: TestRouter;
  messages: Array<{ msg: I2NPMessage; from: string }>;
  closed: Array<{ s: NTCP2Session; reason: string }>;
}

const nodes: Node[] = [];
after(async () => {
  for (const n of nodes) await n.t.stop();
});

/** A transport listening on an ephemeral port, with a RouterInfo that publishes that port. */
async function startNode(opts: Partial<NTCP2TransportOptions> = {}, ri: MakeRouterOptions = {}): Promise<Node> {
  const staticKey = X25519KeyPair.generate();
  const iv = randomBytes(16);
  let router: TestRouter | undefined;
  const t = new NTCP2Transport({
    staticKey,
    iv,
    routerInfo: () => router!.ri,
    netId: NET_ID,
    host: HOST,
    port: 0,
    log: silentLogger(),
    probing: FAST_PROBING,
    ...opts,
  });
  // The RouterInfo publishes the bound port, so it is built after listen(); the transport reads
  // routerInfo() lazily.
  await t.listen();
  router = makeRouter({ staticKey, iv, host: HOST, port: t.boundPort, ...ri });
  const node: Node = { t, router, messages: [], closed: [] };
  t.on('message', (msg: I2NPMessage, s: NTCP2Session) => node.messages.push({ msg, from: s.key }));
  t.on('closed', (s: NTCP2Session, reason: string) => node.closed.push({ s, reason }));
  nodes.push(node);
  return node;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let nextMsgId = 1;
function message(len = 100): I2NPMessage {
  return { type: 20, msgId: nextMsgId++, expiration: Date.now() + 60_000, payload: randomBytes(len) };
}

/** Sends one message a -> b over their session and waits until b has it. */
async function assertDelivers(a: Node, b: Node): Promise<void> {
  const m = message(64);
  assert.ok(a.t.send(b.router.ri.hash, [m]), 'a has a session to b');
  await waitFor(() => b.messages.some((x) => x.msg.msgId === m.msgId), `message ${m.msgId}`);
}

/** A hand-driven Alice on a raw socket, for hostile tests. */
class RawAlice {
  readonly socket: net.Socket;
  readonly events: HandshakeEvent[] = [];
  readonly received: Buffer[] = [];
  /** Data-phase blocks received from Bob after the handshake. */
  readonly blocks: Block[] = [];
  closed = false;
  private core: NTCP2Initiator | undefined;

  constructor(target: Node) {
    this.socket = net.connect({ host: HOST, port: target.t.boundPort });
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('data', (d: Buffer) => {
      this.received.push(d);
      const est = this.events.find((e): e is EstablishedEvent => e.type === 'established');
      if (est) this.blocks.push(...est.dataPhase.receive(d).frames.flat());
      else if (this.core) this.events.push(...this.core.receive(d, this.now));
    });
  }

  now = Date.now();

  connected(): Promise<void> {
    return new Promise((resolve) => (this.socket.connecting ? this.socket.once('connect', () => resolve()) : resolve()));
  }

  /** Starts a real handshake with `bob` using our own RouterInfo `alice`. */
  async handshake(bob: Node, alice: TestRouter, o: { netId?: number; now?: number } = {}): Promise<Buffer> {
    if (o.now !== undefined) this.now = o.now;
    const addr = bob.router.ri.ntcp2()!;
    this.core = new NTCP2Initiator({
      staticKey: alice.staticKey,
      routerInfo: alice.ri.raw,
      remote: { routerHash: bob.router.ri.hash, staticKey: addr.staticKey, iv: addr.iv! },
      netId: o.netId ?? NET_ID,
    });
    await this.connected();
    const msg1 = this.core.start(this.now);
    this.socket.write(msg1);
    return msg1;
  }

  /** Completes the handshake (writes message 3 when message 2 arrived); returns Alice's data phase. */
  async finish(): Promise<EstablishedEvent> {
    await waitFor(() => this.events.length > 0, 'message 2');
    const send = this.events.find((e) => e.type === 'send');
    assert.ok(send && send.type === 'send', `events: ${JSON.stringify(this.events.map((e) => e.type))}`);
    this.socket.write(send.data);
    return this.events.find((e) => e.type === 'established') as EstablishedEvent;
  }

  waitClosed(what: string, ms = 5000): Promise<void> {
    return waitFor(() => this.closed, what, ms);
  }
}

test('two transports: connect, exchange messages both ways, close gracefully', async () => {
  const a = await startNode();
  const b = await startNode();
  const established: Array<{ inbound: boolean; ri: RouterInfo }> = [];
  b.t.on('established', (_s: NTCP2Session, ri: RouterInfo, inbound: boolean) => established.push({ ri, inbound }));
  const s = await a.t.connect(b.router.ri);
  assert.ok(s.remoteHash.equals(b.router.ri.hash));
  assert.equal(s.inbound, false);
  await waitFor(() => established.length === 1, 'inbound established');
  assert.ok(established[0]!.inbound);
  assert.ok(established[0]!.ri.hash.equals(a.router.ri.hash));
  // connect() again reuses the session.
  assert.equal(await a.t.connect(b.router.ri), s);

  await assertDelivers(a, b);
  await assertDelivers(b, a);
  // Many messages in one tick are packed into few frames.
  const framesBefore = a.t.counters.framesOut;
  const batch = Array.from({ length: 200 }, () => message(1024));
  a.t.send(b.router.ri.hash, batch);
  await waitFor(() => batch.every((m) => b.messages.some((x) => x.msg.msgId === m.msgId)), 'batch');
  assert.ok(a.t.counters.framesOut - framesBefore <= 20, `frames used: ${a.t.counters.framesOut - framesBefore}`);
  // Order is preserved.
  const ids = b.messages.map((x) => x.msg.msgId).filter((id) => id >= batch[0]!.msgId);
  assert.deepEqual(ids, batch.map((m) => m.msgId));

  a.t.close(b.router.ri.hash);
  await waitFor(() => b.closed.length === 1, 'b sees the close');
  assert.equal(b.closed[0]!.reason, 'peer-terminated:Normal');
  assert.equal(b.t.counters.terminationsReceived.Normal, 1);
  assert.equal([...a.t.sessions()].length, 0);
  assert.equal([...b.t.sessions()].length, 0);
  assert.equal(a.t.send(b.router.ri.hash, [message()]), false);
});

test('hostile peers: each bad connection is closed and counted while a good session keeps working', async () => {
  const b = await startNode({ handshakeTimeoutMs: 1000, frameTimeoutMs: 300 });
  const a = await startNode();
  await a.t.connect(b.router.ri);
  const failures = (reason: string): number => b.t.counters.handshakeFailures[reason] ?? 0;

  // 1. Garbage first 64 bytes.
  {
    const before = b.t.counters.handshakesInFailed;
    const r = new RawAlice(b);
    await r.connected();
    r.socket.write(randomBytes(64));
    await r.waitClosed('garbage connection closed');
    assert.equal(b.t.counters.handshakesInFailed, before + 1);
    assert.equal((failures('msg1-aead') + failures('msg1-bad-key')) >= 1, true);
    assert.equal(r.received.length, 0, 'no response to garbage');
    await assertDelivers(a, b);
  }
  // 2. Truncated SessionRequest, then the handshake timeout.
  {
    const r = new RawAlice(b);
    const msg1 = await r.handshake(b, makeRouter());
    r.socket.destroy();
    const r2 = new RawAlice(b);
    await r2.connected();
    r2.socket.write(msg1.subarray(0, 40));
    await r2.waitClosed('truncated connection closed');
    assert.equal(failures('timeout'), 1);
    await assertDelivers(a, b);
  }
  // 3. Wrong netId.
  {
    const r = new RawAlice(b);
    await r.handshake(b, makeRouter(), { netId: 2 });
    await r.waitClosed('wrong netId closed');
    assert.equal(failures('msg1-netid'), 1);
    await assertDelivers(a, b);
  }
  // 4. Clock skew: Bob answers with SessionCreated so Alice learns his time, then closes.
  {
    const r = new RawAlice(b);
    await r.handshake(b, makeRouter(), { now: Date.now() - 3600_000 });
    await r.waitClosed('skewed connection closed');
    assert.equal(failures('clock-skew'), 1);
    assert.ok(r.events.some((e) => e.type === 'fail' && e.reason === 'clock-skew'), 'Alice could read tsB');
    await assertDelivers(a, b);
  }
  // 5. Replayed SessionRequest.
  {
    const r = new RawAlice(b);
    const msg1 = await r.handshake(b, makeRouter());
    await waitFor(() => r.received.length > 0, 'message 2');
    const r2 = new RawAlice(b);
    await r2.connected();
    r2.socket.write(msg1);
    await r2.waitClosed('replayed connection closed');
    assert.equal(failures('msg1-replay'), 1);
    r.socket.destroy();
    await assertDelivers(a, b);
  }
  // 6. RouterInfo with a bad signature in message 3.
  {
    const r = new RawAlice(b);
    await r.handshake(b, makeRouter({ badSignature: true }));
    await r.finish();
    await r.waitClosed('bad-signature connection closed');
    assert.equal(failures('ri-signature'), 1);
    await assertDelivers(a, b);
  }
  // 7. RouterInfo whose `s` does not match the handshake static key.
  {
    const r = new RawAlice(b);
    await r.handshake(b, makeRouter({ publishedStaticKey: X25519KeyPair.generate().publicKey }));
    await r.finish();
    await r.waitClosed('s-mismatch connection closed');
    assert.equal(failures('ri-static-key'), 1);
    await assertDelivers(a, b);
  }
  // 8. Data phase: frame length below 16.
  {
    const { r, est } = await rawSession(b);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(5 ^ sipOf(est));
    r.socket.write(len);
    await r.waitClosed('undersize frame closed');
    assert.equal(b.t.counters.dataPhaseErrors['frame-length'], 1);
    await assertDelivers(a, b);
  }
  // 9. Data phase: flipped MAC byte -> Termination "data phase AEAD failure" after a delay.
  {
    const { r, est } = await rawSession(b);
    const frame = Buffer.from(est.dataPhase.encodeFrame([{ type: BlockType.DateTime, timestamp: Math.round(Date.now() / 1000) }]));
    frame[frame.length - 1]! ^= 0x01;
    r.socket.write(frame);
    await r.waitClosed('bad-MAC connection closed');
    assert.equal(b.t.counters.dataPhaseErrors.aead, 1);
    assert.equal(b.t.counters.terminationsSent.DataPhaseAEADFailure, 1);
    // Alice can read the Termination.
    const term = r.blocks.find((x) => x.type === BlockType.Termination);
    assert.ok(term && term.type === BlockType.Termination, JSON.stringify(r.blocks.map((x) => x.type)));
    assert.equal(term.reason, TerminationReason.DataPhaseAEADFailure);
    // Bob's first frame was DateTime + his RouterInfo.
    assert.equal(r.blocks[0]!.type, BlockType.DateTime);
    assert.equal(r.blocks[1]!.type, BlockType.RouterInfo);
    await assertDelivers(a, b);
  }
  // 10. Data phase: a frame that starts and never completes (slowloris).
  {
    const { r, est } = await rawSession(b);
    const frame = est.dataPhase.encodeFrame([{ type: BlockType.Padding, length: 100 }], 0);
    r.socket.write(frame.subarray(0, 50));
    await r.waitClosed('stalled frame closed');
    assert.equal(b.t.counters.terminationsSent.IntraFrameReadTimeout, 1);
    await assertDelivers(a, b);
  }
  // The good session survived everything.
  assert.equal([...b.t.sessions()].filter((s) => s.remoteHash.equals(a.router.ri.hash)).length, 1);
  assert.equal(b.t.counters.handshakesInOk, 4); // the good session and the raw ones of steps 8 to 10
});

/** A raw Alice with an established session to `b`. */
async function rawSession(b: Node): Promise<{ r: RawAlice; est: EstablishedEvent }> {
  const r = new RawAlice(b);
  const alice = makeRouter();
  await r.handshake(b, alice);
  const est = await r.finish();
  await waitFor(() => b.t.session(alice.ri.hash) !== undefined, 'raw session established');
  return { r, est };
}

/**
 * The SipHash mask of Alice's next frame: encrypt an empty frame locally (never sent) and XOR
 * its length field with 16. Bob has not seen a frame yet, so he expects exactly this mask.
 */
function sipOf(est: EstablishedEvent): number {
  return est.dataPhase.encoder.encrypt(Buffer.alloc(0)).readUInt16BE(0) ^ 16;
}

test('idle sessions are closed with a Termination "idle timeout"', async () => {
  const a = await startNode({ idleTimeoutMs: 300 });
  const b = await startNode();
  await a.t.connect(b.router.ri);
  await waitFor(() => b.closed.length === 1, 'idle close', 5000);
  assert.equal(b.closed[0]!.reason, 'peer-terminated:IdleTimeout');
  assert.equal(a.t.counters.terminationsSent.IdleTimeout, 1);
  assert.equal(a.closed[0]!.reason, 'idle-timeout');
});

test('inbound connections beyond maxSessions are refused', async () => {
  const b = await startNode({ maxSessions: 1 });
  const a = await startNode();
  await a.t.connect(b.router.ri);
  const r = new RawAlice(b);
  await r.waitClosed('refused connection closed');
  assert.equal(b.t.counters.inboundRefused, 1);
  const c = await startNode();
  await assert.rejects(c.t.connect(b.router.ri));
  await assertDelivers(a, b);
});

test('simultaneous connects converge on one session per peer', async () => {
  const a = await startNode();
  const b = await startNode();
  const [sa, sb] = await Promise.all([a.t.connect(b.router.ri), b.t.connect(a.router.ri)]);
  assert.ok(sa && sb);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal([...a.t.sessions()].length, 1);
  assert.equal([...b.t.sessions()].length, 1);
  const ka = [...a.t.sessions()][0]!;
  const kb = [...b.t.sessions()][0]!;
  // Both ends kept the same TCP connection: one end's inbound is the other's outbound.
  assert.notEqual(ka.inbound, kb.inbound);
  await assertDelivers(a, b);
  await assertDelivers(b, a);
});

test('the send backlog is bounded in bytes: messages beyond the hard bound are dropped and counted', async () => {
  const a = await startNode({ flowControl: { highWaterBytes: 1024, lowWaterBytes: 512, maxSessionBytes: 2048, maxTotalBytes: 2048 } });
  const b = await startNode();
  await a.t.connect(b.router.ri);
  await waitFor(() => a.t.sendBacklogBytes === 0, 'the first frame taken by the kernel');
  // 212 wire bytes each (3 + 9 + 200): 9 fit in 2048 bytes.
  const msgs = Array.from({ length: 25 }, () => message(200));
  assert.equal(a.t.send(b.router.ri.hash, msgs), false, 'not everything was queued');
  assert.equal(a.t.counters.dropReasons.backpressure, 16);
  assert.equal(a.t.counters.messagesDropped, 16);
  await waitFor(() => b.messages.length === 9, 'the 9 that fit');
  assert.deepEqual(b.messages.map((m) => m.msg.msgId), msgs.slice(0, 9).map((m) => m.msgId));
  await waitFor(() => a.t.sendBacklogBytes === 0, 'the backlog drained');
  assert.ok(a.t.send(b.router.ri.hash, [message(200)]), 'room again');
});

const KiB = 1024;

/**
 * A relay R between a source S and a far side K: every message R gets from S, it forwards to K.
 * K stops reading (its socket is paused), so R's backlog towards K grows.
 */
async function relayChain(relayOpts: Partial<NTCP2TransportOptions>): Promise<{ s: Node; r: Node; k: Node; resumeK: () => void; toK: () => NTCP2Session }> {
  const s = await startNode();
  const r = await startNode(relayOpts);
  const k = await startNode();
  await s.t.connect(r.router.ri);
  await r.t.connect(k.router.ri);
  r.t.on('message', (m: I2NPMessage, from: NTCP2Session) => {
    if (from.remoteHash.equals(s.router.ri.hash)) r.t.send(k.router.ri.hash, [m]);
  });
  await waitFor(() => k.t.session(r.router.ri.hash) !== undefined, 'K sees R');
  const kSide = k.t.session(r.router.ri.hash)!;
  kSide.setReadPaused(true);
  return { s, r, k, resumeK: () => kSide.setReadPaused(false), toK: () => r.t.session(k.router.ri.hash)! };
}

/**
 * S sends 1 KiB messages to R, a batch per tick, until `done()` (fails after `capBytes`). S
 * holds back while its own backlog is above 1 MiB, so that S itself never drops.
 */
async function pump(s: Node, r: Node, done: () => boolean, sent: I2NPMessage[], capBytes = 64 * 1024 * KiB): Promise<void> {
  while (!done()) {
    if (sent.length * KiB > capBytes) throw new Error(`nothing happened after ${sent.length} messages`);
    if (s.t.sendBacklogBytes < 1024 * KiB) {
      const batch = Array.from({ length: 32 }, () => message(KiB));
      sent.push(...batch);
      assert.ok(s.t.send(r.router.ri.hash, batch));
    }
    await new Promise((res) => setImmediate(res));
  }
}

test('a slow reader behind a relay: the relay stops reading the source instead of dropping, and resumes', async () => {
  const { s, r, k, resumeK, toK } = await relayChain({ flowControl: { highWaterBytes: 64 * KiB, lowWaterBytes: 16 * KiB, maxPauseMs: 60_000 } });
  const fromS = r.t.session(s.router.ri.hash)!;
  const sent: I2NPMessage[] = [];
  // Until the pressure reached the source: R paused, and S's own backlog is growing.
  await pump(s, r, () => r.t.counters.readPauses > 0 && s.t.sendBacklogBytes > 256 * KiB, sent);
  assert.ok(fromS.readingPaused, 'R does not read S');
  assert.ok(!toK().readingPaused, 'R still reads the congested session');
  const backlog = toK().backlogBytes;
  assert.ok(backlog >= 64 * KiB, `R's backlog to K is above high water: ${backlog}`);
  // R holds what it read before pausing, no more, however long K sleeps.
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(toK().backlogBytes, backlog);
  assert.ok(backlog < 4096 * KiB, `bounded: ${backlog}`);

  resumeK();
  await waitFor(() => k.messages.length === sent.length, `all ${sent.length} messages at K (has ${k.messages.length})`, 30_000);
  assert.deepEqual(k.messages.map((m) => m.msg.msgId), sent.map((m) => m.msgId), 'all of them, in order');
  for (const n of [s, r]) assert.equal(n.t.counters.messagesDropped, 0, JSON.stringify(n.t.counters.dropReasons));
  await waitFor(() => !fromS.readingPaused, 'R reads S again');
  assert.ok(r.t.counters.readPauses >= 1);
  assert.ok(r.t.counters.congestedMs >= 300, `paused for ${r.t.counters.congestedMs} ms`);
  assert.equal(r.t.counters.slowPeers, 0);
  await waitFor(() => r.t.sendBacklogBytes === 0 && s.t.sendBacklogBytes === 0, 'backlogs drained');
});

test('a peer that never reads: the pause is bounded, the hard bound drops and counts, then the session is closed', async () => {
  const maxSessionBytes = 512 * KiB;
  const { s, r, toK } = await relayChain({
    flowControl: { highWaterBytes: 64 * KiB, lowWaterBytes: 16 * KiB, maxSessionBytes, maxTotalBytes: 1024 * KiB, maxPauseMs: 200, stallTimeoutMs: 3_000 },
  });
  const fromS = r.t.session(s.router.ri.hash)!;
  const kSession = toK();
  const sent: I2NPMessage[] = [];
  await pump(s, r, () => (r.t.counters.dropReasons.backpressure ?? 0) > 0, sent);
  assert.ok(r.t.counters.readPauses >= 1);
  assert.ok(r.t.counters.slowPeers >= 1, 'K was declared slow when the pause reached its limit');
  assert.ok(!fromS.readingPaused, 'a slow peer does not keep R from reading');
  assert.ok(kSession.backlogBytes <= maxSessionBytes, `session backlog ${kSession.backlogBytes}`);
  assert.ok(r.t.sendBacklogBytes <= 1024 * KiB, `total backlog ${r.t.sendBacklogBytes}`);
  // R keeps reading everything S sent; what does not fit is dropped and counted, not buffered.
  await waitFor(() => r.t.counters.messagesIn === sent.length, `R read all ${sent.length} (has ${r.t.counters.messagesIn})`);
  const accepted = kSession.messagesOut + kSession.queueLength;
  assert.equal(r.t.counters.dropReasons.backpressure! + accepted, sent.length);
  // (What was accepted is our bounded backlog plus what the kernel's socket buffers took.)
  assert.ok(accepted < sent.length, `accepted ${accepted} of ${sent.length}`);
  assert.ok(kSession.backlogBytes <= maxSessionBytes);
  // Nothing has moved for stallTimeoutMs: the session is closed and its memory released.
  await waitFor(() => kSession.closed, 'K session closed', 10_000);
  assert.equal(kSession.closeReason, 'send-stall');
  assert.equal(r.t.counters.sessionsClosed['send-stall'], 1);
  assert.equal(r.t.sendBacklogBytes, 0);
  await assertDelivers(s, r);
});

test('expired messages are not sent', async () => {
  const a = await startNode();
  const b = await startNode();
  await a.t.connect(b.router.ri);
  const stale = { ...message(), expiration: Date.now() - 1 };
  const fresh = message();
  a.t.send(b.router.ri.hash, [stale, fresh]);
  await waitFor(() => b.messages.length === 1, 'fresh message');
  assert.equal(b.messages[0]!.msg.msgId, fresh.msgId);
  assert.equal(a.t.counters.dropReasons.expired, 1);
});

test('stop() terminates sessions with "router shutdown"', async () => {
  const a = await startNode();
  const b = await startNode();
  await a.t.connect(b.router.ri);
  await a.t.stop();
  await waitFor(() => b.closed.length === 1, 'shutdown seen');
  assert.equal(b.closed[0]!.reason, 'peer-terminated:RouterShutdown');
});

test('connect fails cleanly when the peer is not listening or has no NTCP2 address', async () => {
  const a = await startNode({ handshakeTimeoutMs: 1000 });
  const dead = makeRouter({ host: HOST, port: 1 });
  await assert.rejects(a.t.connect(dead.ri), /handshake|failed/);
  await assert.rejects(a.t.connect(makeRouter({ noNtcp2Address: true }).ri), /no published NTCP2 address/);
  assert.equal(a.t.pendingHandshakes, 0);
});

test('an exception in an event listener does not break the transport', async () => {
  const a = await startNode();
  const b = await startNode();
  b.t.on('message', () => {
    throw new Error('listener bug');
  });
  await a.t.connect(b.router.ri);
  await assertDelivers(a, b);
  await assertDelivers(a, b);
});
