/**
 * Proves the i2pd test-network harness against reality: three real i2pd routers, seeded only through
 * the netDb files the harness writes, must find each other and hold NTCP2/SSU2 sessions, each listed
 * on the others' transports page at its own 198.18.0.x address. A broken address plan, config,
 * netDb layout or webconsole parser cannot pass this.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/util/log.js';
import { describeSessions, I2pdNetwork, type I2pdRouter, type TransportSession } from './testnet.js';

test('three i2pd routers (one floodfill) bootstrap from seeded netDbs and connect to each other', { timeout: 90_000 }, async (t) => {
  const net = new I2pdNetwork({ count: 3, floodfills: 1, log: createLogger(process.env.GG_TEST_LOG ?? 'none', process.stderr) });
  const t0 = Date.now();
  const lap = (what: string): void => t.diagnostic(`${what} after ${Date.now() - t0} ms`);
  try {
    await net.init();
    lap('identities created');
    const hashes = net.routers.map((r) => r.identHashBase64());
    assert.equal(new Set(hashes).size, 3, 'each datadir has its own identity');
    // The webconsole shows only 4-character hash prefixes; they must tell these routers apart.
    assert.equal(new Set(hashes.map((h) => h.slice(0, 4))).size, 3, 'hash prefixes are distinct');

    await net.start();
    lap('network started');

    for (const r of net.routers) {
      // 'ordered' seeding: router i starts knowing routers 0..i-1 only.
      const earlier = net.routers.filter((o) => o.index < r.index);
      for (const o of earlier) assert.ok(r.hasRouterInfo(o.identHashBase64()), `router ${r.index} netDb holds router ${o.index}`);
      assert.equal((await r.netDbRouterInfoFiles()).length, earlier.length, `router ${r.index} netDb has exactly the seeded files`);

      const st = await r.status();
      // Cross-checks our hash computation against i2pd's own.
      assert.equal(st.routerIdent, r.identHashBase64(), `router ${r.index} ident`);
      assert.match(st.caps, r.floodfill ? /f/ : /^[^f]*$/, `router ${r.index} caps ${st.caps}`);
      assert.match(st.caps, /X/, `router ${r.index} publishes bandwidth class X`);
    }

    for (const r of net.routers) {
      const others = net.routers.filter((o) => o !== r);
      // Routers learn the others' RouterInfos from handshakes and the floodfill (i2pd counts itself).
      await r.waitFor(async () => (await r.status()).routers === 3, 30_000, `router ${r.index} to know all 3 routers`);
      await r.waitForSessionsWith(
        others.map((o) => o.identHashBase64()),
        30_000,
      );
      // A session that i2pd lists but that carries nothing would be half-dead: wait until, with every
      // other router, some session (i2pd may hold one per transport) carries data both ways.
      let sessions: TransportSession[] = [];
      const live = (o: I2pdRouter): TransportSession | undefined =>
        sessions.find((s) => o.identHashBase64().startsWith(s.identPrefix) && s.sentBytes > 0 && s.receivedBytes > 0);
      try {
        await r.waitFor(
          async () => {
            sessions = await r.transportSessions();
            return others.every((o) => live(o) !== undefined);
          },
          30_000,
          `router ${r.index}'s sessions to carry traffic both ways`,
        );
      } catch (e) {
        (e as Error).message += `\nsessions listed last: ${describeSessions(sessions)}`;
        throw e;
      }
      for (const o of others) {
        const s = live(o);
        assert.ok(s, `session with router ${o.index}`);
        assert.ok(['NTCP2', 'SSU2'].includes(s.transport), `transport ${s.transport}`);
        // Peers must appear at their own address: proves the bind addresses and address4/host options.
        assert.equal(s.host, o.address, `router ${r.index} sees router ${o.index} at its own address`);
        if (s.outgoing) assert.equal(s.port, s.transport === 'NTCP2' ? o.ntcp2Port : o.ssu2Port, 'dialled the published port');
      }
      lap(`router ${r.index} sessions: ${describeSessions(sessions)}`);
      const listed = await r.transports();
      for (const o of others) {
        assert.ok([...listed.ntcp2, ...listed.ssu2].includes(o.identHashBase64().slice(0, 4)), `transports() lists router ${o.index}`);
      }
    }
  } finally {
    await net.stop();
    lap('network stopped');
  }
  for (const r of net.routers) assert.equal(r.running, false, `router ${r.index} stopped`);
});
