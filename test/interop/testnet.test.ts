/**
 * Proves the i2pd test-network harness against reality: three real i2pd routers, seeded only through
 * the netDb files the harness writes, must find each other and hold NTCP2/SSU2 sessions, each listed
 * on the others' transports page at its own 198.18.0.x address. A broken address plan, config,
 * netDb layout or webconsole parser cannot pass this.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/util/log.js';
import { I2pdNetwork } from './testnet.js';

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
      const others = net.routers.filter((o) => o !== r);
      for (const o of others) assert.ok(r.hasRouterInfo(o.identHashBase64()), `router ${r.index} netDb holds router ${o.index}`);
      assert.equal((await r.netDbRouterInfoFiles()).length, 2, `router ${r.index} netDb has exactly the 2 seeded files`);

      const st = await r.status();
      // Cross-checks our hash computation against i2pd's own.
      assert.equal(st.routerIdent, r.identHashBase64(), `router ${r.index} ident`);
      assert.equal(st.routers, 3, `router ${r.index} knows all 3 routers (itself included)`);
      assert.match(st.caps, r.floodfill ? /f/ : /^[^f]*$/, `router ${r.index} caps ${st.caps}`);
      assert.match(st.caps, /X/, `router ${r.index} publishes bandwidth class X`);
    }

    for (const r of net.routers) {
      const others = net.routers.filter((o) => o !== r);
      const sessions = await r.waitForSessionsWith(
        others.map((o) => o.identHashBase64()),
        30_000,
      );
      for (const o of others) {
        const s = sessions.find((x) => o.identHashBase64().startsWith(x.identPrefix));
        assert.ok(s, `session with router ${o.index}`);
        assert.ok(['NTCP2', 'SSU2'].includes(s.transport), `transport ${s.transport}`);
        // Peers must appear at their own address: proves the bind addresses and address4/host options.
        assert.equal(s.host, o.address, `router ${r.index} sees router ${o.index} at its own address`);
        if (s.outgoing) assert.equal(s.port, s.transport === 'NTCP2' ? o.ntcp2Port : o.ssu2Port, 'dialled the published port');
        assert.ok(s.sentBytes > 0 && s.receivedBytes > 0, 'traffic flowed both ways');
      }
      lap(`router ${r.index} sessions: ${sessions.map((s) => `${s.transport} ${s.outgoing ? 'to' : 'from'} ${s.identPrefix}`).join(', ')}`);
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
